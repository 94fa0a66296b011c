/**
 * The NATS subjects and JetStream streams binfleet uses. One place, so agent,
 * coordinator and the server permissions (issue: trust) agree on them.
 *
 * A node id is a NATS subject token: letters, digits, `-` and `_` only.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const subjects = {
  /** Agent → coordinator, JetStream (BINFLEET_REPORTS). */
  report: (node: string): string => `binfleet.report.${node}`,
  /** Agent → coordinator, core NATS (liveness only). */
  heartbeat: (node: string): string => `binfleet.heartbeat.${node}`,
  /** Agent → coordinator, JetStream (BINFLEET_PROGRESS). */
  progress: (node: string): string => `binfleet.progress.${node}`,
  /** Coordinator → agent, JetStream (BINFLEET_COMMANDS): signed commands. */
  command: (node: string): string => `binfleet.cmd.${node}`,
} as const;

/** Durable name of a node's command consumer. */
export const commandConsumer = (node: string): string => `agent-${node}`;

/** Stream definitions (plain objects: the NATS client's StreamConfig accepts them). */
export const streams = {
  reports: {
    name: "BINFLEET_REPORTS",
    subjects: ["binfleet.report.>"],
    // The coordinator needs the latest reports per node; older ones are history.
    max_msgs_per_subject: 5,
    max_msg_size: 8 * 1024 * 1024,
    duplicate_window: 2 * 60 * 1_000_000_000,
  },
  progress: {
    name: "BINFLEET_PROGRESS",
    subjects: ["binfleet.progress.>"],
    max_age: 7 * 24 * 3600 * 1_000_000_000,
    max_msg_size: 1024 * 1024,
  },
  commands: {
    name: "BINFLEET_COMMANDS",
    subjects: ["binfleet.cmd.>"],
    // Commands wait for offline nodes, but not forever: each also carries its own expiry.
    max_age: 7 * 24 * 3600 * 1_000_000_000,
    max_msg_size: 64 * 1024,
  },
} as const;
