// Public surface of @binfleet/coordinator (so far: planning and serving; the NATS-driven service comes next).
export type { BuildItem, NodeNeeds, Variant } from "./build-planner.js";
export { BuildPlanner, variantKey } from "./build-planner.js";
export { heldVariants, needsFromReport } from "./node-needs.js";
export type { BinhostPlatform, BinhostServerOptions } from "./binhost-server.js";
export { BinhostServer } from "./binhost-server.js";
