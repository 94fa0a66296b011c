// Public surface of @binfleet/cli: the `binfleet` command line, and its command descriptions (man pages, completion).
export type { Command, Io, OptionSpec } from "./command.js";
export { COMMANDS } from "./commands/index.js";
export { main } from "./main.js";
export { GLOBAL_OPTIONS, cliDoc, commandUsage, globalUsage } from "./usage.js";
export { bashCompletion, zshCompletion } from "./completion.js";
