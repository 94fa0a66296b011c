import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";

/**
 * A package version (PMS §3.2), split into its parts. Numeric parts stay
 * strings: Portage compares arbitrarily long numbers and keeps leading zeros
 * significant in all but the first component.
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

const SUFFIX_ORDER: Record<SuffixKind, number> = { alpha: -4, beta: -3, pre: -2, rc: -1, p: 0 };

/** A version being read: {@link scanVersion} fills it in. */
export interface VersionParts {
  numbers: string[];
  letter: string;
  suffixes: VersionSuffix[];
  revision: string;
}

/** The UTF-16 code at `i`, or -1 past either end (reading past the end would deoptimize hot parsers). */
export function codeAt(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}

function digitsEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

function nameAt(s: string, i: number, end: number, kind: SuffixKind): SuffixKind | null {
  return i + kind.length <= end && s.startsWith(kind, i) ? kind : null;
}

/** The suffix name starting at `i` (after "_"), "pre" before "p" as in Portage's alternation. */
function suffixAt(s: string, i: number, end: number): SuffixKind | null {
  switch (i < end ? s.charCodeAt(i) : -1) {
    case 97:
      return nameAt(s, i, end, "alpha");
    case 98:
      return nameAt(s, i, end, "beta");
    case 114:
      return nameAt(s, i, end, "rc");
    case 112:
      return nameAt(s, i, end, "pre") ?? nameAt(s, i, end, "p");
    default:
      return null;
  }
}

/**
 * Reads a version (PMS §3.2, with optional revision) starting at `start`, stopping at
 * `end` or at the first character that cannot continue it, and returns the index just
 * past it, or -1 when no digit starts one. The grammar has no ambiguity, so the longest
 * version is the only one: a caller needing the whole of `[start, end)` compares the
 * result with `end`. Fills `out` when given.
 */
export function scanVersion(s: string, start: number, end: number, out: VersionParts | null): number {
  let i = digitsEnd(s, start, end);
  if (i === start) return -1;
  out?.numbers.push(s.slice(start, i));
  while (i < end && s.charCodeAt(i) === 46) {
    const j = digitsEnd(s, i + 1, end);
    if (j === i + 1) return i;
    out?.numbers.push(s.slice(i + 1, j));
    i = j;
  }
  if (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      if (out !== null) out.letter = s.charAt(i);
      i++;
    }
  }
  while (i < end && s.charCodeAt(i) === 95) {
    const kind = suffixAt(s, i + 1, end);
    if (kind === null) return i;
    const from = i + 1 + kind.length;
    i = digitsEnd(s, from, end);
    out?.suffixes.push({ kind, number: s.slice(from, i) });
  }
  if (i + 2 < end && s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === 114) {
    const j = digitsEnd(s, i + 2, end);
    if (j > i + 2) {
      if (out !== null) out.revision = s.slice(i + 2, j);
      i = j;
    }
  }
  return i;
}

function invalidVersion(raw: string): PortageFormatError {
  return new PortageFormatError(`invalid version: '${clip(raw)}'`, "version", clip(raw));
}

/** Parses a version; throws {@link PortageFormatError} for anything PMS does not allow. */
export function parseVersion(raw: string): Version {
  const v = { raw, numbers: [] as string[], letter: "", suffixes: [] as VersionSuffix[], revision: "" };
  if (scanVersion(raw, 0, raw.length, v) !== raw.length) throw invalidVersion(raw);
  return v;
}

function checked(raw: string): string {
  if (!isValidVersion(raw)) throw invalidVersion(raw);
  return raw;
}

export function isValidVersion(raw: string): boolean {
  return scanVersion(raw, 0, raw.length, null) === raw.length;
}

/** Renders a version back to text; `formatVersion(parseVersion(s)) === s`. */
export function formatVersion(v: Version): string {
  const suffixes = v.suffixes.map((s) => `_${s.kind}${s.number}`).join("");
  return `${v.numbers.join(".")}${v.letter}${suffixes}${v.revision === "" ? "" : `-r${v.revision}`}`;
}

/** Compares the digit runs `a[i, ie)` and `b[j, je)` as unbounded non-negative integers ("" is 0). */
function compareInts(a: string, i: number, ie: number, b: string, j: number, je: number): -1 | 0 | 1 {
  while (i < ie && a.charCodeAt(i) === 48) i++;
  while (j < je && b.charCodeAt(j) === 48) j++;
  if (ie - i !== je - j) return ie - i < je - j ? -1 : 1;
  for (; i < ie; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Compares digit runs as decimal fractions: the shorter is right-padded with zeros, as Portage's `ljust`. */
function compareFractions(a: string, i: number, ie: number, b: string, j: number, je: number): -1 | 0 | 1 {
  for (let k = 0, n = Math.max(ie - i, je - j); k < n; k++) {
    const x = i + k < ie ? a.charCodeAt(i + k) : 48;
    const y = j + k < je ? b.charCodeAt(j + k) : 48;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Portage's `vercmp` on two valid version strings: -1, 0 or 1, read straight from
 * the text so that comparing allocates nothing.
 *
 * Follows lib/portage/versions.py rather than a literal reading of PMS where
 * they could differ: components after the first that start with "0" are
 * compared as decimal fractions (right-padded with zeros), a missing
 * component sorts below any present one, and a missing suffix counts as
 * "_p" with number -1 (so 1 < 1_p0 == 1_p).
 */
function compareValid(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let ia = digitsEnd(a, 0, a.length);
  let ib = digitsEnd(b, 0, b.length);
  let c = compareInts(a, 0, ia, b, 0, ib);
  if (c !== 0) return c;
  for (;;) {
    const dotA = codeAt(a, ia) === 46;
    const dotB = codeAt(b, ib) === 46;
    if (!dotA || !dotB) {
      if (dotA !== dotB) return dotA ? 1 : -1;
      break;
    }
    const ea = digitsEnd(a, ia + 1, a.length);
    const eb = digitsEnd(b, ib + 1, b.length);
    c = a.charCodeAt(ia + 1) !== 48 && b.charCodeAt(ib + 1) !== 48 ? compareInts(a, ia + 1, ea, b, ib + 1, eb) : compareFractions(a, ia + 1, ea, b, ib + 1, eb);
    if (c !== 0) return c;
    ia = ea;
    ib = eb;
  }
  // A letter sorts above none (codes of a-z are above "_", "-" and the end's -1).
  const letterA = codeAt(a, ia) >= 97 ? a.charCodeAt(ia++) : 0;
  const letterB = codeAt(b, ib) >= 97 ? b.charCodeAt(ib++) : 0;
  if (letterA !== letterB) return letterA < letterB ? -1 : 1;
  for (;;) {
    const kindA = codeAt(a, ia) === 95 ? suffixAt(a, ia + 1, a.length) : null;
    const kindB = codeAt(b, ib) === 95 ? suffixAt(b, ib + 1, b.length) : null;
    if (kindA === null && kindB === null) break;
    // An absent suffix is "_p-1"; a present one without digits is number 0.
    const orderA = kindA === null ? SUFFIX_ORDER.p : SUFFIX_ORDER[kindA];
    const orderB = kindB === null ? SUFFIX_ORDER.p : SUFFIX_ORDER[kindB];
    if (orderA !== orderB) return orderA < orderB ? -1 : 1;
    if (kindA === null || kindB === null) return kindA === null ? -1 : 1;
    const fromA = ia + 1 + kindA.length;
    const fromB = ib + 1 + kindB.length;
    ia = digitsEnd(a, fromA, a.length);
    ib = digitsEnd(b, fromB, b.length);
    c = compareInts(a, fromA, ia, b, fromB, ib);
    if (c !== 0) return c;
  }
  // What is left is "" or "-r<digits>"; absent equals -r0.
  return compareInts(a, Math.min(ia + 2, a.length), a.length, b, Math.min(ib + 2, b.length), b.length);
}

/** Portage's `vercmp` on parsed versions: -1, 0 or 1. */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  return compareValid(a.raw, b.raw);
}

/** Portage's `vercmp(a, b)` on strings; throws {@link PortageFormatError} for an invalid version. */
export function vercmp(a: string, b: string): -1 | 0 | 1 {
  return compareValid(checked(a), checked(b));
}
