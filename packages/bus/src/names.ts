/**
 * Every NATS subject, JetStream stream, consumer and KV bucket binfleet uses: one place, so
 * agents, the coordinator, builders and the server permissions agree on them.
 *
 * A node id is a NATS subject token: letters, digits, `-` and `_` only (NODE_ID_PATTERN in shared).
 */
import { RetentionPolicy } from "@nats-io/jetstream";

const SECONDS = 1_000_000_000;

export const subjects = {
  /** Agent → coordinator, JetStream (BINFLEET_REPORTS). */
  report: (node: string): string => `binfleet.report.${node}`,
  /** Agent → coordinator, core NATS (liveness only). */
  heartbeat: (node: string): string => `binfleet.heartbeat.${node}`,
  /** Agent → coordinator, JetStream (BINFLEET_PROGRESS). */
  progress: (node: string): string => `binfleet.progress.${node}`,
  /** Agent → coordinator, core request: "make my catch-up consumer, from this stream sequence". */
  catchUp: (node: string): string => `binfleet.catchup.${node}`,
  /** Coordinator → agent, core NATS into JetStream (BINFLEET_COMMANDS): signed commands, live to the agent's subscription and kept for its catch-up. */
  command: (node: string): string => `binfleet.cmd.${node}`,
  /** Coordinator → builders, JetStream work queue (BINFLEET_BUILDS): one subject per platform name. */
  build: (platform: string): string => `binfleet.build.${platform}`,
  /**
   * Coordinator → builders, JetStream work queue (BINFLEET_BUILDS): a platform's security builds
   * (`binfleet glsa fix`), which builder slots take before the platform's other jobs.
   */
  securityBuild: (platform: string): string => `binfleet.securitybuild.${platform}`,
  /** Builders → whoever follows a build, JetStream (BINFLEET_BUILD_LOGS): one subject per build id. */
  buildLog: (buildId: string): string => `binfleet.buildlog.${buildId}`,
} as const;

/** Stream definitions (plain objects: the NATS client's StreamConfig accepts them). */
export const streams = {
  reports: {
    name: "BINFLEET_REPORTS",
    subjects: ["binfleet.report.>"],
    // The coordinator needs the latest reports per node; older ones are history.
    max_msgs_per_subject: 5,
    max_msg_size: 8 * 1024 * 1024,
    duplicate_window: 120 * SECONDS,
  },
  progress: {
    name: "BINFLEET_PROGRESS",
    subjects: ["binfleet.progress.>"],
    max_age: 7 * 24 * 3600 * SECONDS,
    max_msg_size: 1024 * 1024,
  },
  commands: {
    name: "BINFLEET_COMMANDS",
    subjects: ["binfleet.cmd.>"],
    // Commands wait for offline nodes, but not forever: each also carries its own expiry. A node
    // catching up reads what is kept on its subject: at most this many, fewer than the command ids
    // an agent remembers (1,000), so each one it already took is known as such.
    max_age: 7 * 24 * 3600 * SECONDS,
    max_msgs_per_subject: 100,
    max_msg_size: 64 * 1024,
    // The coordinator's resend of a command it saw no acknowledgement for is stored once.
    duplicate_window: 120 * SECONDS,
    // An agent asks for the last command kept on its own subject (one permission per subject).
    allow_direct: true,
  },
  builds: {
    name: "BINFLEET_BUILDS",
    subjects: ["binfleet.build.>", "binfleet.securitybuild.>"],
    // A job is gone once a builder acks it; the variant key as message id drops a second enqueue.
    retention: RetentionPolicy.Workqueue,
    duplicate_window: 600 * SECONDS,
  },
  buildLogs: {
    name: "BINFLEET_BUILD_LOGS",
    subjects: ["binfleet.buildlog.>"],
    max_age: 14 * 24 * 3600 * SECONDS,
    max_msg_size: 256 * 1024,
  },
} as const;

/** The KV buckets (each is the stream `KV_<name>`). */
export const buckets = {
  /** Build records: the idempotency record and lease of each variant's build. */
  builds: "binfleet-builds",
  /** Holds and approvals. */
  policy: "binfleet-policy",
  rollouts: "binfleet-rollouts",
  /** Each platform's binpkg signing keys (public halves). */
  binpkgKeys: "binfleet-binpkg-keys",
  /** Build work queued per platform, for the builder slots. */
  queuedWork: "binfleet-queued-work",
  /** The platform each node is on. */
  platformPins: "binfleet-platform-pins",
  /** Platforms made by `binfleet platforms create`. */
  createdPlatforms: "binfleet-platforms",
  /** Security advisories: those noticed in the builders' tree, each node's exposures, and fixes under way. */
  glsa: "binfleet-glsa",
} as const;

export type BucketName = (typeof buckets)[keyof typeof buckets];

/** The stream behind a KV bucket, and the subjects its keys are written on. */
export const kvStream = (bucket: string): string => `KV_${bucket}`;
export const kvSubjects = (bucket: string): string => `$KV.${bucket}.>`;

export const consumers = {
  /** The short-lived consumer a node reads the commands it missed with, filtered to its own subject. */
  commandCatchUp: (node: string): string => `catchup-${node}`,
  /** A node's durable command consumer before commands went live: the coordinator removes what is left of them. */
  legacyCommand: (node: string): string => `agent-${node}`,
  /** The coordinator's durable consumer of progress events: outcomes sent while it was down are read when it returns. */
  progress: "coordinator-progress",
  /** The builders' durable consumer of one platform's build queue. */
  builders: (platform: string): string => `builders-${platform}`,
  /** The builders' durable consumer of one platform's security builds. */
  securityBuilders: (platform: string): string => `builders-security-${platform}`,
} as const;

/**
 * The inbox prefix of a bus user's connection (a node's user is named after the node): replies to
 * it (JetStream acks, pulled messages) stay its own, since users are unique on the server.
 */
export const inboxPrefix = (user: string): string => `_INBOX_${user}`;

/**
 * Bus users binfleet's own services use are named `binfleet-…`; node ids cannot start so, so a
 * node's user (and inbox) never collides with the coordinator's or a builder's.
 */
export const SERVICE_USER_PREFIX = "binfleet-";

/** The coordinator's bus user (embedded server; an external cluster's admin may name it otherwise). */
export const COORDINATOR_USER = `${SERVICE_USER_PREFIX}coordinator`;

/** A builder process's bus user: `binfleet-builder-<name>`. */
export const builderUser = (name: string): string => `${SERVICE_USER_PREFIX}builder-${name}`;

/** The builder name a builder process on the coordinator's own host uses (`binfleet-coordinator builder` without `nats.user`). */
export const LOCAL_BUILDER = "local";
