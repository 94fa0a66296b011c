// Public surface of @binfleet/coordinator: the daemon, its configuration and its program entry.
// Tests and benches reach the parts through "@binfleet/coordinator/internal".
export type { CoordinatorState } from "./coordinator.js";
export { Coordinator } from "./coordinator.js";
export type { CoordinatorConfig, CoordinatorConfigInput, PlatformConfig } from "./config/coordinator-config.js";
export { CoordinatorConfigSchema, coordinatorConfig, loadCoordinatorConfig } from "./config/coordinator-config.js";
export { BuilderProcess } from "./builders/builder-process.js";
export { adminTokenFile } from "./api/admin-token.js";
export { main } from "./main.js";
export { COORDINATOR_DOC } from "./program-doc.js";
