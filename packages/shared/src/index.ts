// Public surface of @binfleet/shared: the Portage domain model. Wire types live in "@binfleet/shared/wire".
export * from "./portage.js";
export { parseConfig, loadConfigFile } from "./config.js";
export type { Logger } from "./logger.js";
export { NODE_ID_PATTERN } from "./node-id.js";
export { BINFLEET_VERSION } from "./release.js";
export type { ReplayState, VerifyOptions } from "./command-signing.js";
export { CommandRejectedError, publicKeyFromBase64, publicKeyToBase64, signCommand, verifySignedCommand } from "./command-signing.js";
