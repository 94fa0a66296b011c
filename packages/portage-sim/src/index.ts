// Public surface of @binfleet/portage-sim: the fleet generator and the simulated tools, for tests, the demo and bench.
export type { FleetManifest, FleetOptions, PlatformDef } from "./fleet-generator.js";
export { generateFleet, platformDefs } from "./fleet-generator.js";
export type { ToolName } from "./cli.js";
export { runTool } from "./cli.js";
export { TOOL_NODE_FLAGS, simToolArgv } from "./tool-argv.js";
export type { Output } from "./output.js";
export { simulatedBuildSeconds } from "./repository.js";
export type { GeneratedAdvisory } from "./glsa-generator.js";
