import { COORDINATOR_USER, buckets, consumers, inboxPrefix, kvStream, kvSubjects, streams, subjects } from "./names.js";

/** nats-server permissions: subjects a user may publish to and subscribe to. */
export interface BusPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * What a node's NATS user may do: publish its own report, heartbeat and progress; receive its own
 * commands live and the last one kept for it; read what it missed through its own catch-up
 * consumer, which it may create only filtered to its own subject (nats-server 2.9's
 * CREATE.<stream>.<name>.<filter>: the server refuses a request whose filter is another); receive
 * on its own inbox. Nothing else: it cannot speak for another node or read another node's commands.
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
        `$JS.API.CONSUMER.CREATE.${stream}.${catchUp}.${subjects.command(node)}`,
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
 * node's report, heartbeat or progress, so a compromised coordinator connection still cannot make
 * up what a node says; it reads them through consumers and its heartbeat subscription.
 */
export function coordinatorPermissions(user: string = COORDINATOR_USER): BusPermissions {
  const owned = [...Object.values(streams).map((s) => s.name), ...COORDINATOR_BUCKETS.map(kvStream)];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        subjects.command("*"),
        subjects.build("*"),
        subjects.buildLog("*"),
        ...COORDINATOR_BUCKETS.map(kvSubjects),
        ...owned.flatMap(ownStream),
      ],
    },
    subscribe: { allow: [subjects.heartbeat("*"), `${inboxPrefix(user)}.>`] },
  };
}

/**
 * A builder takes jobs from the build queue (its durable consumers `builders-<platform>`), holds
 * their leases and records in the builds bucket, streams build logs, and reads policy, the binpkg
 * keyring and the queued-work figures. It cannot queue a build, send a command, speak for a node,
 * approve or hold anything, or change a key: a stolen builder password builds what was asked, no more.
 */
export function builderPermissions(user: string): BusPermissions {
  const reads = [buckets.policy, buckets.binpkgKeys, buckets.queuedWork];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        subjects.buildLog("*"),
        kvSubjects(buckets.builds),
        ...consumeStream(streams.builds.name),
        ...[buckets.builds, ...reads].map(kvStream).flatMap((s) => [...readStream(s), ...consumeStream(s)]),
      ],
    },
    subscribe: { allow: [`${inboxPrefix(user)}.>`] },
  };
}
