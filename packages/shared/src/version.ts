import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";

/**
 * A package version (PMS §3.2), split into the parts `vercmp` compares.
 * Numeric parts stay strings: Portage compares arbitrarily long numbers and
 * keeps leading zeros significant in all but the first component.
 */
export interface Version {
  /** The version exactly as written, e.g. "1.02b_rc3_p1-r2". */
  readonly raw: string;
  /** Dot-separated numeric components, as written ("1", "02"). */
  readonly numbers: readonly string[];
  /** The optional letter suffix, or "". */
  readonly letter: string;
  readonly suffixes: readonly VersionSuffix[];
  /** Revision digits without "-r", or "" when absent (equal to -r0). */
  readonly revision: string;
}

export type SuffixKind = "alpha" | "beta" | "pre" | "rc" | "p";

export interface VersionSuffix {
  readonly kind: SuffixKind;
  /** Digits after the suffix name, "" when absent (equal to 0). */
  readonly number: string;
}

// Same shape as Portage's ver_regexp: the suffix list is validated as a whole.
const VERSION_RE = /^(\d+)((?:\.\d+)*)([a-z]?)((?:_(?:pre|p|beta|alpha|rc)\d*)*)(?:-r(\d+))?$/;
const SUFFIX_RE = /_(pre|p|beta|alpha|rc)(\d*)/g;
const SUFFIX_ORDER: Record<SuffixKind, number> = { alpha: -4, beta: -3, pre: -2, rc: -1, p: 0 };

/** Parses a version; throws {@link PortageFormatError} for anything PMS does not allow. */
export function parseVersion(raw: string): Version {
  const m = VERSION_RE.exec(raw);
  if (m === null) {
    throw new PortageFormatError(`invalid version: '${clip(raw)}'`, "version", clip(raw));
  }
  const numbers = [m[1]!, ...(m[2] ? m[2].slice(1).split(".") : [])];
  const suffixes: VersionSuffix[] = [];
  for (const s of (m[4] ?? "").matchAll(SUFFIX_RE)) {
    suffixes.push({ kind: s[1] as SuffixKind, number: s[2] ?? "" });
  }
  return { raw, numbers, letter: m[3] ?? "", suffixes, revision: m[5] ?? "" };
}

export function isValidVersion(raw: string): boolean {
  return VERSION_RE.test(raw);
}

/** Renders a version back to text; `formatVersion(parseVersion(s)) === s`. */
export function formatVersion(v: Version): string {
  const suffixes = v.suffixes.map((s) => `_${s.kind}${s.number}`).join("");
  return `${v.numbers.join(".")}${v.letter}${suffixes}${v.revision === "" ? "" : `-r${v.revision}`}`;
}

/** Compares two digit strings as unbounded non-negative integers. */
function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Portage's `vercmp` on parsed versions: -1, 0 or 1.
 *
 * Follows lib/portage/versions.py rather than a literal reading of PMS where
 * they could differ: components after the first that start with "0" are
 * compared as decimal fractions (right-padded with zeros), a missing
 * component sorts below any present one, and a missing suffix counts as
 * "_p" with number -1 (so 1 < 1_p0 == 1_p).
 */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  if (a.raw === b.raw) return 0;
  let c = compareDigits(a.numbers[0]!, b.numbers[0]!);
  if (c !== 0) return sign(c);
  const n = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 1; i < n; i++) {
    const x = a.numbers[i];
    const y = b.numbers[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x.charCodeAt(0) !== 48 && y.charCodeAt(0) !== 48) {
      c = compareDigits(x, y);
    } else {
      const len = Math.max(x.length, y.length);
      const px = x.padEnd(len, "0");
      const py = y.padEnd(len, "0");
      c = px < py ? -1 : px > py ? 1 : 0;
    }
    if (c !== 0) return sign(c);
  }
  if (a.letter !== b.letter) {
    if (a.letter === "") return -1;
    if (b.letter === "") return 1;
    return a.letter < b.letter ? -1 : 1;
  }
  const m = Math.max(a.suffixes.length, b.suffixes.length);
  for (let i = 0; i < m; i++) {
    const x = a.suffixes[i];
    const y = b.suffixes[i];
    const kx = x === undefined ? SUFFIX_ORDER.p : SUFFIX_ORDER[x.kind];
    const ky = y === undefined ? SUFFIX_ORDER.p : SUFFIX_ORDER[y.kind];
    if (kx !== ky) return kx < ky ? -1 : 1;
    // An absent suffix is "_p-1"; a present one without digits is number 0.
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    c = compareDigits(x.number || "0", y.number || "0");
    if (c !== 0) return sign(c);
  }
  return sign(compareDigits(a.revision || "0", b.revision || "0"));
}

// Fleets compare the same few thousand versions over and over: parse each once.
const parsedCache = new Map<string, Version>();
const PARSED_CACHE_MAX = 65_536;

function parseCached(raw: string): Version {
  let v = parsedCache.get(raw);
  if (v === undefined) {
    v = parseVersion(raw);
    if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
    parsedCache.set(raw, v);
  }
  return v;
}

/** Portage's `vercmp(a, b)` on strings; throws {@link PortageFormatError} for an invalid version. */
export function vercmp(a: string, b: string): -1 | 0 | 1 {
  return compareVersions(parseCached(a), parseCached(b));
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
