// Public surface of @binfleet/coordinator.
export type { BuildItem, NodeNeeds, Variant } from "./build-planner.js";
export { BuildPlanner, variantKey } from "./build-planner.js";
export { heldVariants, needsFromReport } from "./node-needs.js";
export type { BinhostPlatform, BinhostServerOptions } from "./binhost-server.js";
export { BinhostServer } from "./binhost-server.js";
export type { CoordinatorState } from "./coordinator.js";
export { Coordinator } from "./coordinator.js";
export type { CoordinatorConfig, CoordinatorConfigInput } from "./coordinator-config.js";
export { CoordinatorConfigSchema, coordinatorConfig, loadCoordinatorConfig } from "./coordinator-config.js";
export type { BuildRecord } from "./builder-worker.js";
export { recordKey } from "./builder-worker.js";
export { ReportRejectedError, validateReport } from "./report-validation.js";
export type { SigningIdentity } from "./binpkg-signing.js";
export { ensureSigningKey, trustSigningKey } from "./binpkg-signing.js";
