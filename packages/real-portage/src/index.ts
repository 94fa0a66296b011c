// Public surface of @binfleet/real-portage (test support: tests, bench and the demo; never daemons):
// real Portage from ../shared/portage, run in isolated Gentoo machines on a Debian host.
export { MachineError, PortageSourceError } from "./errors.js";
export type { PortageLocation } from "./locate.js";
export { enterMachine, locatePortage, portageDir, skipNote, withBuildRoot } from "./locate.js";
export type { MachineOptions, RunOptions, RunResult } from "./machine.js";
export { BUILDER_MAKE_CONF, Machine, NODE_MAKE_CONF } from "./machine.js";
export type { PreparedPortage } from "./prepare.js";
export { cacheRoot, preparePortage } from "./prepare.js";
export type { BuildOptions } from "./cached-builds.js";
export { buildPackages, cachedDirectory, extendRepo, treeDigest } from "./cached-builds.js";
export type { BuildRootOptions } from "./build-root.js";
export { BUILD_ROOT_ENV, buildRootArgv } from "./build-root.js";
export { stopMarkedGpgAgents } from "./gpg-agents.js";
