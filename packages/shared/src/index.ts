// Public surface of @binfleet/shared: the Portage domain model. Wire types live in "@binfleet/shared/wire".
export * from "./portage.js";
// GLSAs are here, not in "./portage": their XML parser costs start-up time portage-sim's tools must not pay.
export { GlsaFormatError, GlsaEvaluationError } from "./errors.js";
export type { GlsaFormatReason } from "./errors.js";
export type { GlsaAdvisory, GlsaPackage, GlsaRange, GlsaRangeOp, GlsaReference, GlsaParseOptions } from "./glsa/glsa.js";
export { GLSA_MAX_BYTES, parseGlsa } from "./glsa/glsa.js";
export type { GlsaSystem, GlsaVerdict, GlsaAffected } from "./glsa/glsa-evaluate.js";
export { evaluateGlsa } from "./glsa/glsa-evaluate.js";
export type { SlottedPackage, PackageSetEntry } from "./glsa/package-set.js";
export { PackageSet } from "./glsa/package-set.js";
export { ZOD_ENGLISH, parseConfig, parseConfigText, loadConfigFile } from "./config.js";
export type { Logger } from "./logger.js";
export { NODE_ID_PATTERN } from "./node-id.js";
export { BINFLEET_RELEASE_DATE, BINFLEET_VERSION } from "./release.js";
export type { DocCommand, DocOption, ProgramDoc } from "./program-doc.js";
export { renderMan, renderUsage } from "./program-doc.js";
export type { CommandInit, ReplayState, VerifyOptions } from "./command-signing.js";
export { ReportDecodeError, compressReport, decodeReport } from "./report-encoding.js";
export { CommandRejectedError, publicKeyFromBase64, publicKeyToBase64, signCommand, signCommandBatch, verifySignedCommand } from "./command-signing.js";
