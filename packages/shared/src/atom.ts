import { type Cpv, NAME_TAIL, nameEnd, runEnd, versionDash } from "./cpv.js";
import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";
import { type Version, codeAt, compareVersions, parseVersion, scanVersion } from "./version.js";

export type AtomOperator = "=" | ">=" | "<=" | "<" | ">" | "~" | "=*";

/** One USE dependency inside `[...]`, e.g. `!foo(+)?`. */
export interface UseDep {
  /** As written. */
  readonly raw: string;
  readonly flag: string;
  /**
   * "enabled" `foo`, "disabled" `-foo`, "if" `foo?`, "ifNot" `!foo?`,
   * "equal" `foo=`, "notEqual" `!foo=` (PMS §8.3.4).
   */
  readonly kind: "enabled" | "disabled" | "if" | "ifNot" | "equal" | "notEqual";
  /** `(+)`/`(-)`: what to assume when the target package lacks the flag. */
  readonly missing: "enabled" | "disabled" | null;
}

/** A parsed package dependency specification (PMS §8.3). */
export interface Atom {
  /** As written. */
  readonly raw: string;
  readonly blocker: "weak" | "strong" | null;
  readonly operator: AtomOperator | null;
  readonly category: string;
  readonly package: string;
  readonly cp: string;
  /** The version as written (without build id), or null. */
  readonly version: string | null;
  readonly parsedVersion: Version | null;
  /** `=cat/pkg-1.0-3` names build id 3 of a multi-instance binary package. */
  readonly buildId: number | null;
  readonly slot: string | null;
  readonly subslot: string | null;
  readonly slotOperator: "=" | "*" | null;
  readonly repo: string | null;
  readonly useDeps: readonly UseDep[];
}

function invalid(raw: string, why: string): PortageFormatError {
  return new PortageFormatError(`invalid atom: '${clip(raw)}': ${why}`, "atom", clip(raw));
}

const SHAPE = "not of the form [!|!!][op]category/package[-version][:slot][::repo][[use]]";

/** The version operator starting at `i`, or null. */
function operatorAt(s: string, i: number): AtomOperator | null {
  switch (codeAt(s, i)) {
    case 61:
      return "=";
    case 126:
      return "~";
    case 62:
      return codeAt(s, i + 1) === 61 ? ">=" : ">";
    case 60:
      return codeAt(s, i + 1) === 61 ? "<=" : "<";
    default:
      return null;
  }
}

/**
 * Parses an atom as Portage's `Atom(s)` does with no EAPI given (the most
 * permissive rules: repo deps, build ids, slot operators and USE defaults allowed).
 * Throws {@link PortageFormatError} with the reason when Portage would refuse it.
 *
 * One pass, left to right: blocker, operator, `category/package[-version]` up to the
 * first ":" or "[", then slot, repository and USE dependencies. The name/version split
 * follows Portage's non-greedy package pattern (see {@link versionDash}).
 */
export function parseAtom(raw: string): Atom {
  const length = raw.length;
  let p = 0;
  let blocker: Atom["blocker"] = null;
  if (codeAt(raw, 0) === 33) {
    blocker = codeAt(raw, 1) === 33 ? "strong" : "weak";
    p = blocker === "strong" ? 2 : 1;
  }
  let operator = operatorAt(raw, p);
  if (operator !== null) p += operator.length;

  // The cpv part ends where the slot, repository or USE part starts: names and versions hold neither ":" nor "[".
  let mainEnd = p;
  while (mainEnd < length && codeAt(raw, mainEnd) !== 58 && codeAt(raw, mainEnd) !== 91) mainEnd++;
  let cpvEnd = mainEnd;
  if (operator === "=" && codeAt(raw, mainEnd - 1) === 42) {
    operator = "=*";
    cpvEnd--;
  }
  const slash = nameEnd(raw, p, cpvEnd, NAME_TAIL.category);
  if (slash === p || codeAt(raw, slash) !== 47) throw invalid(raw, SHAPE);
  const nameStart = slash + 1;
  let cpEnd = cpvEnd;
  let version: string | null = null;
  let buildId: number | null = null;
  if (operator === null) {
    if (nameStart === cpvEnd || nameEnd(raw, nameStart, cpvEnd, NAME_TAIL.package) !== cpvEnd) throw invalid(raw, SHAPE);
    if (versionDash(raw, nameStart, cpvEnd) >= 0) throw invalid(raw, "a version needs an operator (=, >=, <=, <, >, ~)");
  } else {
    const dash = versionDash(raw, nameStart, cpvEnd);
    if (dash < 0) throw invalid(raw, SHAPE);
    const versionEnd = scanVersion(raw, dash + 1, cpvEnd, null);
    if (versionEnd === cpvEnd) {
      cpEnd = dash;
      version = raw.slice(dash + 1, cpvEnd);
    } else {
      // "=cat/pkg-1.0-3": the trailing component is a build id, digits without leading zeros.
      if (operator === "=*") throw invalid(raw, "a build id cannot take a wildcard");
      const id = raw.slice(versionEnd + 1, cpvEnd);
      if (!/^(0|[1-9]\d*)$/.test(id)) throw invalid(raw, `'${clip(id, 40)}' is not a build id`);
      buildId = Number(id);
      cpEnd = dash;
      version = raw.slice(dash + 1, versionEnd);
    }
  }

  let i = mainEnd;
  let slot: string | null = null;
  let subslot: string | null = null;
  let slotOperator: Atom["slotOperator"] = null;
  if (codeAt(raw, i) === 58 && codeAt(raw, i + 1) !== 58) {
    const start = i + 1;
    i = runEnd(raw, start, length, NAME_TAIL.slotPart);
    const main = nameEnd(raw, start, i, NAME_TAIL.slot);
    let at = main;
    if (main > start) {
      slot = raw.slice(start, main);
      if (codeAt(raw, at) === 47 && at < i) {
        const sub = nameEnd(raw, at + 1, i, NAME_TAIL.slot);
        if (sub === at + 1) throw invalid(raw, `bad slot '${clip(raw.slice(start, i), 40)}'`);
        subslot = raw.slice(at + 1, sub);
        at = sub;
      }
    }
    const op = codeAt(raw, at);
    if (at < i && (op === 42 || op === 61)) {
      slotOperator = op === 42 ? "*" : "=";
      at++;
    }
    if (at !== i || at === start) throw invalid(raw, `bad slot '${clip(raw.slice(start, i), 40)}'`);
    if (slot !== null && slotOperator === "*") throw invalid(raw, "':*' cannot name a slot");
  }
  let repo: string | null = null;
  if (codeAt(raw, i) === 58) {
    if (codeAt(raw, i + 1) !== 58) throw invalid(raw, SHAPE);
    const end = nameEnd(raw, i + 2, length, NAME_TAIL.repo);
    if (end === i + 2) throw invalid(raw, SHAPE);
    repo = raw.slice(i + 2, end);
    i = end;
  }
  let useDeps = NO_USE_DEPS;
  if (i < length) {
    if (codeAt(raw, i) !== 91 || codeAt(raw, length - 1) !== 93 || length - i < 2) throw invalid(raw, SHAPE);
    useDeps = parseUseDeps(raw, i + 1, length - 1);
  }

  const cp = raw.slice(p, cpEnd);
  return {
    raw,
    blocker,
    operator,
    category: raw.slice(p, slash),
    package: raw.slice(nameStart, cpEnd),
    cp,
    version,
    parsedVersion: version === null ? null : parseVersion(version),
    buildId,
    slot,
    subslot,
    slotOperator,
    repo,
    useDeps,
  };
}

const NO_USE_DEPS: readonly UseDep[] = Object.freeze([]);

/** The kind of a USE dependency from its prefix ("!", "-" or none) and suffix ("?", "=" or none); undefined when PMS has none. */
function useKind(prefix: number, suffix: number): UseDep["kind"] | undefined {
  switch (prefix) {
    case 33:
      return suffix === 63 ? "ifNot" : suffix === 61 ? "notEqual" : undefined;
    case 45:
      return suffix === 0 ? "disabled" : undefined;
    default:
      return suffix === 63 ? "if" : suffix === 61 ? "equal" : "enabled";
  }
}

/** `[A-Za-z0-9][A-Za-z0-9+_@-]*` (Portage's USE flag pattern): the index past the flag at `i`, or `i`. */
function flagEnd(s: string, i: number, end: number): number {
  if (i >= end || !isAlnum(s.charCodeAt(i))) return i;
  for (i++; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 43 && c !== 95 && c !== 64 && c !== 45) break;
  }
  return i;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The comma-separated USE dependencies in `raw[start, end)`, each `[!-]flag[(+)|(-)][?=]`. */
function parseUseDeps(raw: string, start: number, end: number): UseDep[] {
  const deps: UseDep[] = [];
  for (let from = start; from <= end; ) {
    let to = raw.indexOf(",", from);
    if (to < 0 || to > end) to = end;
    const first = codeAt(raw, from);
    const prefix = first === 33 || first === 45 ? first : 0;
    const flagStart = prefix === 0 ? from : from + 1;
    let i = flagEnd(raw, flagStart, to);
    const flag = raw.slice(flagStart, i);
    let missing: UseDep["missing"] = null;
    if (i + 3 <= to && codeAt(raw, i) === 40 && codeAt(raw, i + 2) === 41) {
      const d = codeAt(raw, i + 1);
      missing = d === 43 ? "enabled" : d === 45 ? "disabled" : null;
      if (missing !== null) i += 3;
    }
    const last = codeAt(raw, i);
    const suffix = i < to && (last === 63 || last === 61) ? last : 0;
    if (suffix !== 0) i++;
    const kind = useKind(prefix, suffix);
    const token = raw.slice(from, to);
    if (flag === "" || i !== to || kind === undefined) throw invalid(raw, `bad USE dependency '${clip(token, 40)}'`);
    // Portage refuses one flag given with conflicting defaults (or with and without one).
    for (const d of deps) {
      if (d.flag === flag && d.missing !== missing) throw invalid(raw, `conflicting defaults for '${flag}'`);
    }
    deps.push({ raw: token, flag, kind, missing });
    from = to + 1;
  }
  return deps;
}

/** Writes an atom back in canonical form; `formatAtom(parseAtom(s)) === s` for every valid atom. */
export function formatAtom(a: Atom): string {
  const blocker = a.blocker === "strong" ? "!!" : a.blocker === "weak" ? "!" : "";
  const op = a.operator === "=*" ? "=" : (a.operator ?? "");
  const version = a.version === null ? "" : `-${a.version}${a.buildId === null ? "" : `-${a.buildId}`}${a.operator === "=*" ? "*" : ""}`;
  const hasSlot = a.slot !== null || a.subslot !== null || a.slotOperator !== null;
  const slot = hasSlot ? `:${a.slot ?? ""}${a.subslot === null ? "" : `/${a.subslot}`}${a.slotOperator ?? ""}` : "";
  const repo = a.repo === null ? "" : `::${a.repo}`;
  const use = a.useDeps.length === 0 ? "" : `[${a.useDeps.map((u) => u.raw).join(",")}]`;
  return `${blocker}${op}${a.cp}${version}${slot}${repo}${use}`;
}

/** {@link parseAtom} without the exception. */
export function tryParseAtom(raw: string): Atom | null {
  try {
    return parseAtom(raw);
  } catch (err) {
    if (err instanceof PortageFormatError) return null;
    throw err;
  }
}

/** What {@link atomMatches} needs to know about a package (installed, in the tree, or binary). */
export interface PackageRef {
  readonly cpv: Cpv;
  readonly slot?: string;
  readonly subslot?: string;
  readonly repo?: string;
  readonly buildId?: number;
  /** Enabled USE flags; needed only when the atom has USE dependencies. */
  readonly use?: ReadonlySet<string>;
  /** IUSE flag names (without +/-); flags outside it fall back to `(+)`/`(-)` defaults. */
  readonly iuse?: ReadonlySet<string>;
}

export interface MatchOptions {
  /** The depending package's USE, to evaluate `foo?`, `!foo?`, `foo=`, `!foo=`; without it they are ignored. */
  readonly parentUse?: ReadonlySet<string>;
}

/** Whether `pkg` satisfies `atom` (the blocker prefix is ignored: it names what is blocked). */
export function atomMatches(atom: Atom, pkg: PackageRef, options: MatchOptions = {}): boolean {
  if (pkg.cpv.cp !== atom.cp) return false;
  if (atom.operator !== null && atom.parsedVersion !== null && !versionMatches(atom, pkg.cpv.version)) return false;
  if (atom.buildId !== null && pkg.buildId !== atom.buildId) return false;
  if (atom.slot !== null && (pkg.slot ?? "0") !== atom.slot) return false;
  if (atom.subslot !== null && (pkg.subslot ?? pkg.slot ?? "0") !== atom.subslot) return false;
  if (atom.repo !== null && pkg.repo !== atom.repo) return false;
  for (const dep of atom.useDeps) {
    const want = requiredState(dep, options.parentUse);
    if (want === null) continue;
    if (hasFlag(dep, pkg) !== want) return false;
  }
  return true;
}

/** true: flag must be on; false: must be off; null: no requirement. */
function requiredState(dep: UseDep, parentUse: ReadonlySet<string> | undefined): boolean | null {
  switch (dep.kind) {
    case "enabled":
      return true;
    case "disabled":
      return false;
    default:
      break;
  }
  if (parentUse === undefined) return null;
  const on = parentUse.has(dep.flag);
  switch (dep.kind) {
    case "if":
      return on ? true : null;
    case "ifNot":
      return on ? null : false;
    case "equal":
      return on;
    case "notEqual":
      return !on;
  }
}

function hasFlag(dep: UseDep, pkg: PackageRef): boolean | null {
  if (pkg.iuse !== undefined && !pkg.iuse.has(dep.flag)) {
    if (dep.missing === null) return null;
    return dep.missing === "enabled";
  }
  return pkg.use?.has(dep.flag) ?? false;
}

function versionMatches(atom: Atom, v: Version): boolean {
  const want = atom.parsedVersion!;
  switch (atom.operator) {
    case "=":
      return compareVersions(v, want) === 0;
    case "~":
      // Portage's match_from_list compares the version text without revision: ~1.0 is not 1.00.
      return withoutRevision(v.raw) === withoutRevision(want.raw);
    case ">=":
      return compareVersions(v, want) >= 0;
    case ">":
      return compareVersions(v, want) > 0;
    case "<=":
      return compareVersions(v, want) <= 0;
    case "<":
      return compareVersions(v, want) < 0;
    case "=*":
      return globMatches(want.raw, v.raw);
    default:
      return true;
  }
}

function withoutRevision(raw: string): string {
  return raw.replace(/-r\d+$/, "");
}

/**
 * `=cat/pkg-1.2*`: string prefix on the version after stripping leading zeros of the
 * first component, matching only at a boundary between version parts (so 1* does
 * not match 10, 1.2a* matches 1.2a_p1), as Portage's match_from_list does since bug 560466.
 */
function globMatches(prefix: string, version: string): boolean {
  const p = stripLeadingZeros(prefix);
  const v = stripLeadingZeros(version);
  if (!v.startsWith(p)) return false;
  const next = v.charAt(p.length);
  if (next === "" || next === "." || next === "_" || next === "-") return true;
  const isDigit = (c: string): boolean => c >= "0" && c <= "9";
  return isDigit(next) !== isDigit(p.charAt(p.length - 1));
}

function stripLeadingZeros(v: string): string {
  const s = v.replace(/^0+/, "");
  return s === "" || !/^\d/.test(s) ? `0${s}` : s;
}
