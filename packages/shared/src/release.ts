/**
 * binfleet's release version, printed by every program's --version. Kept here, not read from a
 * package.json at run time, because the installed programs are single-file bundles; a test holds it
 * equal to the repository's package.json.
 */
export const BINFLEET_VERSION = "0.1.0";

/** The day this version was released: the date of its man pages and of every file in its tarball. */
export const BINFLEET_RELEASE_DATE = "2026-12-04";
