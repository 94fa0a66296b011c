// Public surface of @binfleet/bus: binfleet's NATS plumbing, used by the agent, the coordinator and builders.
export type { BucketName } from "./names.js";
export { COORDINATOR_USER, LOCAL_BUILDER, SERVICE_USER_PREFIX, buckets, builderUser, consumers, inboxPrefix, kvStream, kvSubjects, streams, subjects } from "./names.js";
export type { BusPermissions } from "./permissions.js";
export { agentPermissions, builderPermissions, coordinatorPermissions } from "./permissions.js";
export type { BusConnectOptions, BusCredentials } from "./connect.js";
export { busInbox, connectBus } from "./connect.js";
export type { ConsumeOptions } from "./consume.js";
export { consumeUntilAborted, ensureDurable } from "./consume.js";
export { ensureStream } from "./ensure-stream.js";
export type { StreamMessage, Unconfirmed } from "./confirmed-publish.js";
export { publishConfirmed } from "./confirmed-publish.js";
export type { FollowSubjectOptions } from "./follow-subject.js";
export { followSubject } from "./follow-subject.js";
export { openCatchUpConsumer, requestCatchUp, serveCatchUps } from "./catch-up.js";
export type { BucketEntry, BucketFollower } from "./buckets.js";
export { followBucket, followWithoutConsumers, readBucket } from "./buckets.js";
export { logBusStatus } from "./bus-status.js";
