import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";
import { type Version, parseVersion, scanVersion } from "./version.js";

// Portage's name rules (lib/portage/versions.py, dep/__init__.py), read by hand rather than
// with its regular expressions: names are scanned once, left to right. A name starts with a
// word character (Python's \w) and goes on with word characters and the few punctuation
// marks each kind allows. Word characters include letters and digits of any script, as the
// README documents (Portage 3.0.82 itself compiles these patterns ASCII-only).

const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_WORD[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ? 1 : 0;
}
const NON_ASCII_WORD = /^[\p{L}\p{N}]$/u;

/** Length in UTF-16 units (1 or 2) of the word character at `i`, 0 when there is none before `end`. */
function wordCharLength(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c]!;
  const point = s.codePointAt(i)!;
  const length = point > 0xffff ? 2 : 1;
  return i + length <= end && NON_ASCII_WORD.test(String.fromCodePoint(point)) ? length : 0;
}

function tail(punctuation: string): Uint8Array {
  const t = Uint8Array.from(ASCII_WORD);
  for (const ch of punctuation) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** What may follow the first character of each kind of name (PMS §3.1), and the loose slot part of an atom. */
export const NAME_TAIL = {
  category: tail("+.-"),
  package: tail("+-"),
  slot: tail("+.-"),
  repo: tail("-"),
  /** Portage's `_slot_loose`, `[\w+./*=-]+`: what an atom's slot part may hold before it is checked. */
  slotPart: tail("+./*=-"),
} as const;

/** The index just past the run of word characters and `allowed` ASCII characters starting at `i`, stopping at `end`. */
export function runEnd(s: string, i: number, end: number, allowed: Uint8Array): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (allowed[c] === 0) break;
      i++;
    } else {
      const n = wordCharLength(s, i, end);
      if (n === 0) break;
      i += n;
    }
  }
  return i;
}

/** The index just past the name starting at `start` (a word character, then `tail`), or `start` when none starts there. */
export function nameEnd(s: string, start: number, end: number, tail: Uint8Array): number {
  const n = start < end ? wordCharLength(s, start, end) : 0;
  return n === 0 ? start : runEnd(s, start + n, end, tail);
}

/**
 * In `s[start, end)` = "pn-ver" or "pn-ver-ver", the index of the "-" that ends the
 * package name, or -1. Like Portage's non-greedy `_pkg`, the shortest name wins whose
 * rest is one version or two (the second is a build id in atoms; in a cpv it makes the
 * name end in a version, which Portage refuses).
 */
export function versionDash(s: string, start: number, end: number): number {
  const stop = nameEnd(s, start, end, NAME_TAIL.package);
  for (let j = s.indexOf("-", start + 1); j >= 0 && j < stop; j = s.indexOf("-", j + 1)) {
    const e = scanVersion(s, j + 1, end, null);
    if (e === end || (e > 0 && s.charCodeAt(e) === 45 && scanVersion(s, e + 1, end, null) === end)) return j;
  }
  return -1;
}

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
  if (slash <= 0 || nameEnd(text, 0, slash, NAME_TAIL.category) !== slash) return null;
  const dash = versionDash(text, slash + 1, text.length);
  if (dash < 0 || scanVersion(text, dash + 1, text.length, null) !== text.length) return null;
  return {
    category: text.slice(0, slash),
    package: text.slice(slash + 1, dash),
    version: parseVersion(text.slice(dash + 1)),
    cp: text.slice(0, dash),
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
  return name.length > 0 && nameEnd(name, 0, name.length, NAME_TAIL.category) === name.length;
}

/** A package name is valid when it matches PMS's characters and does not end in `-<version>`. */
export function isValidPackageName(name: string): boolean {
  return name.length > 0 && nameEnd(name, 0, name.length, NAME_TAIL.package) === name.length && versionDash(name, 0, name.length) < 0;
}
