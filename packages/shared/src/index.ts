// Public surface of @binfleet/shared: the Portage domain model. Wire types live in "@binfleet/shared/wire".
export * from "./portage.js";
export { parseConfig, parseConfigText, loadConfigFile } from "./config.js";
export type { Logger, LoggerOptions } from "./logger.js";
export { createLogger } from "./logger.js";
export type { BusPermissions } from "./bus.js";
export { NODE_ID_PATTERN, SERVICE_USER_PREFIX, agentPermissions, inboxPrefix, commandConsumer, commandConsumerConfig, streams, subjects } from "./bus.js";
export type { ReplayState, VerifyOptions } from "./command-signing.js";
export { CommandRejectedError, publicKeyFromBase64, publicKeyToBase64, signCommand, verifySignedCommand } from "./command-signing.js";
export type { Stoppable } from "./run-daemon.js";
export { runDaemon } from "./run-daemon.js";
