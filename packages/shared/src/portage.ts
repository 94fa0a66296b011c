// The Portage domain model alone: versions, atoms, emerge output, Packages, vdb, world, platform keys.
// No dependencies, nothing that costs start-up time: portage-sim imports this in every simulated
// Portage call, as real Portage tools start often and must start fast.
export { PortageFormatError, ConfigError } from "./errors.js";
export { clip } from "./clip.js";
export type { Version, VersionSuffix, SuffixKind } from "./version.js";
export { parseVersion, isValidVersion, formatVersion, compareVersions, vercmp } from "./version.js";
export type { Cpv } from "./cpv.js";
export { parseCpv, tryParseCpv, parseCpvWithBuildId, isValidCategory, isValidPackageName } from "./cpv.js";
export type { Atom, AtomOperator, UseDep, PackageRef, MatchOptions } from "./atom.js";
export { parseAtom, tryParseAtom, formatAtom, atomMatches } from "./atom.js";
export type { EmergePretend, MergeEntry, MergeFlags, MergeKind, MergeTotal, OldVersion, UseFlagDisplay } from "./emerge-pretend.js";
export { parseEmergePretend, sizeToBytes } from "./emerge-pretend.js";
export type { PackagesIndex, PackagesIndexOptions, Stanza, BinaryPackage } from "./packages-index.js";
export { parsePackagesIndex, viewPackagesIndex, PackagesIndexView, readPackagesIndexStream, formatPackagesIndex, field, withField, toBinaryPackage } from "./packages-index.js";
export type { InstalledPackage, ContentsEntry, VdbEntryReader } from "./vdb.js";
export { parseVdbEntry, parseContents, readVdbEntry, readVdbEntryFiles, readVdb } from "./vdb.js";
export type { WorldFile } from "./world.js";
export { parseWorld, parseWorldSets, formatWorld } from "./world.js";
export type { PlatformSettings, PlatformFingerprint } from "./platform-key.js";
export { PLATFORM_VARS, isSameSnapshot, normalizePlatform, parsePortageqEnvvar, platformFingerprint, platformFromPortage } from "./platform-key.js";
export { parseMakeConf } from "./make-conf.js";
