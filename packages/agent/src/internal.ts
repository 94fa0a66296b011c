// The agent's parts for tests and benches (not a stable surface): a bench models many nodes with them.
export * from "./index.js";
export type { CommandGateOptions } from "./command-gate.js";
export { CommandGate } from "./command-gate.js";
export { CommandState } from "./command-state.js";
export { ProgressPublisher } from "./progress-publisher.js";
