// Public surface of @binfleet/release: the release tarball, for `npm run dist` and the overlay's test.
export type { Release, ReleaseOptions } from "./make-release.js";
export { makeRelease, manifestDist } from "./make-release.js";
