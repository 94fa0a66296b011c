// What a program says about itself: its version, its usage and man page, text clipped to fit.
// No dependencies: the CLI (and the API client under it) load only this and the wire types at
// start-up, not the whole model (GLSA parser, configuration schemas, command signing).
export { clip } from "./clip.js";
export { BINFLEET_RELEASE_DATE, BINFLEET_VERSION } from "./release.js";
export type { DocCommand, DocOption, ProgramDoc } from "./program-doc.js";
export { renderMan, renderUsage } from "./program-doc.js";
