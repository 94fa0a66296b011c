import { type BusPermissions, SERVICE_USER_PREFIX, inboxPrefix, streams, subjects } from "@binfleet/shared";
import { BINPKG_KEYS_BUCKET } from "./binpkg-keyring.js";
import { BUILDS_BUCKET } from "./build-board.js";
import { CREATED_PLATFORMS_BUCKET } from "./builder-root.js";
import { BUILD_LOGS_STREAM, BUILDS_STREAM, buildLogSubject, buildSubject } from "./builder-pool.js";
import { PLATFORM_PINS_BUCKET } from "./platform-pins.js";
import { POLICY_BUCKET } from "./policy-store.js";
import { QUEUED_WORK_BUCKET } from "./queued-work.js";
import { ROLLOUTS_BUCKET } from "./rollout-manager.js";

/** The coordinator's bus user (embedded server; an external cluster's admin may name it otherwise). */
export const COORDINATOR_USER = `${SERVICE_USER_PREFIX}coordinator`;

/** A builder process's bus user: `binfleet-builder-<name>`. */
export const builderUser = (name: string): string => `${SERVICE_USER_PREFIX}builder-${name}`;

/** The builder name a builder process on the coordinator's own host uses (`binfleet-coordinator builder` without `nats.user`). */
export const LOCAL_BUILDER = "local";

const kvStream = (bucket: string): string => `KV_${bucket}`;
const kvSubjects = (bucket: string): string => `$KV.${bucket}.>`;

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
const COORDINATOR_BUCKETS = [BUILDS_BUCKET, POLICY_BUCKET, ROLLOUTS_BUCKET, BINPKG_KEYS_BUCKET, QUEUED_WORK_BUCKET, PLATFORM_PINS_BUCKET, CREATED_PLATFORMS_BUCKET];

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
  const owned = [streams.reports.name, streams.progress.name, streams.commands.name, BUILDS_STREAM.name, BUILD_LOGS_STREAM.name, ...COORDINATOR_BUCKETS.map(kvStream)];
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        subjects.command("*"),
        buildSubject("*"),
        buildLogSubject("*"),
        ...COORDINATOR_BUCKETS.map(kvSubjects),
        ...owned.flatMap(ownStream),
      ],
    },
    subscribe: { allow: [subjects.heartbeat("*"), `${inboxPrefix(user)}.>`] },
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
  const reads = [POLICY_BUCKET, BINPKG_KEYS_BUCKET, QUEUED_WORK_BUCKET];
  const queue = BUILDS_STREAM.name;
  return {
    publish: {
      allow: [
        "$JS.API.INFO",
        buildLogSubject("*"),
        kvSubjects(BUILDS_BUCKET),
        `$JS.API.CONSUMER.INFO.${queue}.*`,
        `$JS.API.CONSUMER.MSG.NEXT.${queue}.*`,
        `$JS.ACK.${queue}.>`,
        ...[BUILDS_BUCKET, ...reads].map(kvStream).flatMap(readStream),
      ],
    },
    subscribe: { allow: [`${inboxPrefix(user)}.>`, ...reads.map(kvSubjects)] },
  };
}
