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

/**
 * The inbox prefix of a bus user's connection (a node's user is named after the node): replies to
 * it (JetStream acks, pulled messages) stay its own, since users are unique on the server.
 */
export const inboxPrefix = (user: string): string => `_INBOX_${user}`;

/** The durable consumer that delivers a node's commands, as the coordinator creates it at enrollment. */
export function commandConsumerConfig(node: string): { durable_name: string; filter_subject: string; ack_policy: "explicit"; deliver_policy: "all" } {
  return { durable_name: commandConsumer(node), filter_subject: subjects.command(node), ack_policy: "explicit", deliver_policy: "all" };
}

/** nats-server permissions: subjects a user may publish to and subscribe to. */
export interface BusPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * Bus users binfleet's own services use are named `binfleet-…`; node ids cannot start so, so a
 * node's user (and inbox) never collides with the coordinator's or a builder's.
 */
export const SERVICE_USER_PREFIX = "binfleet-";

/**
 * What a node's NATS user may do: publish its own report, heartbeat and
 * progress; pull and ack from its own command consumer, which the coordinator
 * creates at enrollment with the node's own filter; receive on its own inbox.
 * Nothing else: it cannot speak for another node or read another node's commands.
 * It creates no consumer, not even its own: a consumer's delivery subject is in
 * the request's body, unchecked by the server, so a node able to create its
 * consumer could have its commands published on any subject (another node's
 * reports, a bucket). The pull consumer made at enrollment cannot be turned into
 * a push one (the server refuses), and the node cannot delete it.
 */
export function agentPermissions(node: string): BusPermissions {
  const stream = streams.commands.name;
  const consumer = commandConsumer(node);
  return {
    publish: {
      allow: [
        subjects.report(node),
        subjects.heartbeat(node),
        subjects.progress(node),
        "$JS.API.INFO",
        `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
        `$JS.ACK.${stream}.${consumer}.>`,
      ],
    },
    subscribe: { allow: [`${inboxPrefix(node)}.>`] },
  };
}
