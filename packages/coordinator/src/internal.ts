// The coordinator's parts for tests and benches (not a stable surface).
export * from "./index.js";
export type { BuildItem, NodeNeeds, Variant } from "./planning/build-planner.js";
export { BuildPlanner, variantKey } from "./planning/build-planner.js";
export { BuildEstimates } from "./planning/build-estimates.js";
export { explainNode } from "./planning/explain.js";
export { pickPlatform } from "./planning/queued-work.js";
export { binhostVariants, heldVariants, installedVariantKey } from "./ingest/node-needs.js";
export { ReportRejectedError, validateReport } from "./ingest/report-validation.js";
export type { BuildRecord } from "./builders/builder-worker.js";
export { recordKey } from "./builders/builder-worker.js";
export { BinhostServer } from "./binhost/binhost-server.js";
export { SnapshotMirror } from "./binhost/snapshot-mirror.js";
export { loadOrCreateSigningKey } from "./node-commands/signing-key.js";
export type { CommandBus, NodeCommand } from "./node-commands/command-sender.js";
export { CommandSender, CommandsNotSentError } from "./node-commands/command-sender.js";
