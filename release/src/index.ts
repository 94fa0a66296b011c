// Public surface of @binfleet/release: the release tarball and its programs as installed, for `npm run dist`, the overlay's test and the bench.
export type { Release, ReleaseOptions } from "./make-release.js";
export type { InstalledProgram, ProgramName } from "./make-release.js";
export { installProgram, makeRelease, manifestDist } from "./make-release.js";
