import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";
import { type Version, parseVersion } from "./version.js";

// Portage's name rules (lib/portage/versions.py). Python's \w is Unicode-aware,
// so names accept letters and digits of any script, as Portage does.
const W = String.raw`\p{L}\p{N}_`;
/** Category name (PMS §3.1.1, Portage `_cat`). */
export const CATEGORY_PATTERN = `[${W}+][${W}+.-]*`;
/** Package name, non-greedy so a trailing version is split off (Portage `_pkg`). */
export const PACKAGE_PATTERN = `[${W}+][${W}+-]*?`;
/** Version without revision (Portage `_v`), digits ASCII. */
export const VERSION_PATTERN = String.raw`\d+(?:\.\d+)*[a-z]?(?:_(?:pre|p|beta|alpha|rc)\d*)*`;
/** Version with optional revision (Portage `_vr`). */
export const VERSION_REV_PATTERN = String.raw`${VERSION_PATTERN}(?:-r\d+)?`;

const CATEGORY_RE = new RegExp(`^${CATEGORY_PATTERN}$`, "u");
// pn_inval: a package name that itself ends in "-<version>" is invalid.
const PV_RE = new RegExp(
  `^(?<pn>${PACKAGE_PATTERN}(?<inval>-${VERSION_REV_PATTERN})?)-(?<ver>${VERSION_REV_PATTERN})$`,
  "u",
);
const PN_RE = new RegExp(`^${PACKAGE_PATTERN}$`, "u");
const VERSION_TAIL_RE = new RegExp(`-${VERSION_REV_PATTERN}$`, "u");

/** A category/package-version, e.g. `dev-libs/libdemo-1.0-r1`. */
export interface Cpv {
  readonly category: string;
  readonly package: string;
  readonly version: Version;
  /** `category/package` */
  readonly cp: string;
  /** `category/package-version` as written */
  readonly cpv: string;
}

/** Splits `cat/pn-ver` the way Portage's `catpkgsplit` does; throws for anything else. */
export function parseCpv(text: string): Cpv {
  const parsed = tryParseCpv(text);
  if (parsed === null) {
    throw new PortageFormatError(`invalid package version: '${clip(text)}'`, "cpv", clip(text));
  }
  return parsed;
}

/** {@link parseCpv} without the exception, for hot paths and probing. */
export function tryParseCpv(text: string): Cpv | null {
  const slash = text.indexOf("/");
  if (slash <= 0) return null;
  const category = text.slice(0, slash);
  if (!CATEGORY_RE.test(category)) return null;
  const m = PV_RE.exec(text.slice(slash + 1));
  if (m === null || m.groups!["inval"] !== undefined) return null;
  const pn = m.groups!["pn"]!;
  return {
    category,
    package: pn,
    version: parseVersion(m.groups!["ver"]!),
    cp: `${category}/${pn}`,
    cpv: text,
  };
}

/**
 * Splits a binary package's `cat/pn-ver-BUILDID` (multi-instance binhosts print
 * the build id as a bare `-N` suffix). Plain cpvs come back with `buildId` null;
 * the two never overlap because a version-like suffix makes the plain form invalid.
 */
export function parseCpvWithBuildId(text: string): { cpv: Cpv; buildId: number | null } {
  const plain = tryParseCpv(text);
  if (plain !== null) return { cpv: plain, buildId: null };
  const m = /^(.*)-(0|[1-9]\d*)$/.exec(text);
  const base = m === null ? null : tryParseCpv(m[1]!);
  if (base === null) {
    throw new PortageFormatError(`invalid package version: '${clip(text)}'`, "cpv", clip(text));
  }
  return { cpv: base, buildId: Number(m![2]) };
}

export function isValidCategory(name: string): boolean {
  return CATEGORY_RE.test(name);
}

/** A package name is valid when it matches PMS's characters and does not end in `-<version>`. */
export function isValidPackageName(name: string): boolean {
  if (!PN_RE.test(name)) return false;
  return !VERSION_TAIL_RE.test(name);
}
