import { COORDINATOR_USER, buckets, consumers, inboxPrefix, kvStream, kvSubjects, streams, subjects } from "./names.js";

/** nats-server permissions: subjects a user may publish to and subscribe to. */
export interface BusPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
  /** May answer requests sent to it (one reply to each request's reply subject, within the server's time limit). */
  readonly allow_responses?: boolean;
}

/**
 * What a node's NATS user may do: publish its own report, heartbeat and progress; receive its own
 * commands live and the last one kept for it; read what it missed through its own catch-up
 * consumer, which the coordinator makes on its request filtered to its own subject (requestCatchUp);
 * receive on its own inbox. Nothing else: it cannot speak for another node or read another node's
 * commands. It creates no consumer at all: a consumer's delivery subject is in the request's body,
 * unchecked by the server, so a node able to create one could have its commands published on any
 * subject (another node's reports, a bucket).
 */
export function agentPermissions(node: string): BusPermissions {
  const stream = streams.commands.name;
  const catchUp = consumers.commandCatchUp(node);
  return {
    publish: {
      allow: [
        subjects.report(node),
        subjects.heartbeat(node),
        subjects.progress(node),
        "$JS.API.INFO",
        // The last-by-subject form: the subject is in the API subject, so permissions can scope it.
        `$JS.API.DIRECT.GET.${stream}.${subjects.command(node)}`,
        subjects.catchUp(node),
        `$JS.API.CONSUMER.INFO.${stream}.${catchUp}`,
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${catchUp}`,
        `$JS.API.CONSUMER.DELETE.${stream}.${catchUp}`,
      ],
    },
    subscribe: { allow: [subjects.command(node), `${inboxPrefix(node)}.>`] },
  };
}

/** Reading a stream: its info and single messages (KV gets are direct gets). */
const readStream = (s: string): string[] => [`$JS.API.STREAM.INFO.${s}`, `$JS.API.STREAM.MSG.GET.${s}`, `$JS.API.DIRECT.GET.${s}`, `$JS.API.DIRECT.GET.${s}.>`];

/**
 * Consuming a stream: consumers on it (ordered ones for KV watches and log tails, durable ones for
 * queues), their pulls, acks and flow control. Nothing that changes the stream itself.
 */
const consumeStream = (s: string): string[] => [
  `$JS.API.CONSUMER.CREATE.${s}`,
  `$JS.API.CONSUMER.CREATE.${s}.>`,
  `$JS.API.CONSUMER.DURABLE.CREATE.${s}.>`,
  `$JS.API.CONSUMER.INFO.${s}.>`,
  `$JS.API.CONSUMER.DELETE.${s}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${s}.>`,
  `$JS.ACK.${s}.>`,
  `$JS.FC.${s}.>`,
];

/** Owning a stream: creating, updating, deleting and purging it, listing its consumers, deleting messages. */
const ownStream = (s: string): string[] => [`$JS.API.STREAM.*.${s}`, `$JS.API.STREAM.MSG.*.${s}`, `$JS.API.CONSUMER.*.${s}`, ...readStream(s), ...consumeStream(s)];

/** Every bucket the coordinator keeps. */
const COORDINATOR_BUCKETS: readonly string[] = Object.values(buckets);

/**
 * The coordinator owns binfleet's streams and buckets and speaks on the subjects only it may:
 * commands, the build queue (and the build logs of its own builder slots). It may not publish a
 * node's report, heartbeat or progress; it reads them through consumers and its heartbeat
 * subscription. That keeps a coordinator bug from speaking for a node, not a stolen coordinator
 * password: as the owner it creates consumers (its bucket watches are push consumers) and
 * configures streams, and neither a consumer's delivery subject nor a stream's republish or
 * sources are checked by the server against these permissions.
 */
export function coordinatorPermissions(user: string = COORDINATOR_USER): BusPermissions {
  const owned = [...Object.values(streams).map((s) => s.name), ...COORDINATOR_BUCKETS.map(kvStream)];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        subjects.command("*"),
        subjects.build("*"),
        subjects.securityBuild("*"),
        subjects.buildLog("*"),
        ...COORDINATOR_BUCKETS.map(kvSubjects),
        ...owned.flatMap(ownStream),
      ],
    },
    subscribe: { allow: [subjects.heartbeat("*"), subjects.catchUp("*"), `${inboxPrefix(user)}.>`] },
    // Its answer to a node's catch-up request goes to that node's inbox, which it may not publish to otherwise.
    allow_responses: true,
  };
}

/**
 * A builder pulls jobs from the build queues (the durable consumers `builders-<platform>` the
 * coordinator makes: ensureBuildQueue) and acks them, holds their leases and records in the builds
 * bucket, streams build logs, and reads policy, the binpkg keyring and the queued-work figures
 * (direct gets, and their changes through a plain subscription: followWithoutConsumers). It cannot
 * queue a build, send a command, speak for a node, approve or hold anything, or change a key: a
 * stolen builder password builds what was asked, no more.
 *
 * It creates and deletes no consumer at all: a consumer's delivery subject is in the request's
 * body, which the server does not hold against the creator's permissions, so the right to create
 * one on a stream is the right to have that stream's messages (the builds bucket's, which a builder
 * writes) published on any subject: a node's commands, reports, the policy bucket.
 */
export function builderPermissions(user: string): BusPermissions {
  const reads = [buckets.policy, buckets.binpkgKeys, buckets.queuedWork];
  const queues = [streams.builds.name];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        subjects.buildLog("*"),
        kvSubjects(buckets.builds),
        ...queues.flatMap((q) => [`$JS.API.CONSUMER.INFO.${q}.*`, `$JS.API.CONSUMER.MSG.NEXT.${q}.*`, `$JS.ACK.${q}.>`]),
        ...[buckets.builds, ...reads].map(kvStream).flatMap(readStream),
      ],
    },
    subscribe: { allow: [`${inboxPrefix(user)}.>`, ...reads.map(kvSubjects)] },
  };
}
