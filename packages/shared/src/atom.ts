import { type Cpv, CATEGORY_PATTERN, PACKAGE_PATTERN, VERSION_REV_PATTERN, tryParseCpv } from "./cpv.js";
import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";
import { type Version, compareVersions } from "./version.js";

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

const OP = String.raw`[=~]|[><]=?`;
const CP = (name: string): string => `(?<${name}cp>${CATEGORY_PATTERN}/${PACKAGE_PATTERN}(?<${name}ver>-${VERSION_REV_PATTERN})?)`;
// The shape of Portage's _get_atom_re: operator+cpv | =cpv* | plain cp, then a loose
// slot part, ::repo and [use]; the slot part is validated separately below.
const ATOM_RE = new RegExp(
  "^(?<withoutUse>(?:" +
    `(?<op>${OP})(?<opcpv>${CP("op")}-${VERSION_REV_PATTERN})` +
    `|=(?<starcpv>${CP("star")}-${VERSION_REV_PATTERN})\\*` +
    `|(?<simplecpv>${CP("simple")}))` +
    String.raw`(?::(?<slot>[\p{L}\p{N}_+./*=-]+))?` +
    String.raw`(?:::(?<repo>[\p{L}\p{N}_][\p{L}\p{N}_-]*))?)` +
    String.raw`(?<use>\[.*\])?$`,
  "u",
);
const SLOT = String.raw`[\p{L}\p{N}_+][\p{L}\p{N}_+.-]*`;
const SLOT_DEP_RE = new RegExp(`^(?<slot>${SLOT})?(?<rest>\\*|=|/${SLOT}=?)?$`, "u");
const USE_DEP_RE = /^(?<prefix>[!-]?)(?<flag>[A-Za-z0-9][A-Za-z0-9+_@-]*)(?<default>\(\+\)|\(-\))?(?<suffix>[?=]?)$/;

const USE_KINDS: Record<string, UseDep["kind"] | undefined> = {
  "": "enabled",
  "-": "disabled",
  "?": "if",
  "!?": "ifNot",
  "=": "equal",
  "!=": "notEqual",
};

function invalid(raw: string, why: string): PortageFormatError {
  return new PortageFormatError(`invalid atom: '${clip(raw)}': ${why}`, "atom", clip(raw));
}

/**
 * Parses an atom as Portage's `Atom(s)` does with no EAPI given (the most
 * permissive rules: repo deps, build ids, slot operators and USE defaults allowed).
 * Throws {@link PortageFormatError} with the reason when Portage would refuse it.
 */
export function parseAtom(raw: string): Atom {
  let rest = raw;
  let blocker: Atom["blocker"] = null;
  if (rest.startsWith("!!")) {
    blocker = "strong";
    rest = rest.slice(2);
  } else if (rest.startsWith("!")) {
    blocker = "weak";
    rest = rest.slice(1);
  }
  const m = ATOM_RE.exec(rest);
  if (m === null) throw invalid(raw, "not of the form [!|!!][op]category/package[-version][:slot][::repo][[use]]");
  const g = m.groups!;

  let operator: AtomOperator | null;
  let cp: string;
  let cpvText: string | null;
  let buildId: number | null = null;
  if (g["op"] !== undefined) {
    operator = g["op"] as AtomOperator;
    cp = g["opcp"]!;
    cpvText = g["opcpv"]!;
    const inner = g["opver"];
    if (inner !== undefined) {
      // "=cat/pkg-1.0-3": the trailing component is a build id, digits without leading zeros.
      const id = cpvText.slice(cp.length + 1);
      if (!/^(0|[1-9]\d*)$/.test(id)) throw invalid(raw, `'${clip(id, 40)}' is not a build id`);
      buildId = Number(id);
      cpvText = cp;
      cp = cp.slice(0, -inner.length);
    }
  } else if (g["starcpv"] !== undefined) {
    operator = "=*";
    cp = g["starcp"]!;
    cpvText = g["starcpv"]!;
    if (g["starver"] !== undefined) throw invalid(raw, "a build id cannot take a wildcard");
  } else {
    operator = null;
    cp = g["simplecp"]!;
    cpvText = null;
    if (g["simplever"] !== undefined) throw invalid(raw, "a version needs an operator (=, >=, <=, <, >, ~)");
  }

  // Portage keeps an atom whose cpv does not split cleanly, with no version; so do we.
  const cpv: Cpv | null = cpvText === null ? null : tryParseCpv(cpvText);
  const slash = cp.indexOf("/");

  let slot: string | null = null;
  let subslot: string | null = null;
  let slotOperator: Atom["slotOperator"] = null;
  if (g["slot"] !== undefined) {
    const s = SLOT_DEP_RE.exec(g["slot"]);
    if (s === null) throw invalid(raw, `bad slot '${clip(g["slot"], 40)}'`);
    slot = s.groups!["slot"] ?? null;
    let sub = s.groups!["rest"]?.replace(/^\/+/, "") ?? null;
    if (sub === "*" || sub === "=") {
      slotOperator = sub;
      sub = null;
    } else if (sub !== null && sub.endsWith("=")) {
      slotOperator = "=";
      sub = sub.slice(0, -1);
    }
    subslot = sub;
    if (slot !== null && slotOperator === "*") throw invalid(raw, "':*' cannot name a slot");
  }

  const useDeps = g["use"] === undefined ? [] : parseUseDeps(raw, g["use"].slice(1, -1));

  return {
    raw,
    blocker,
    operator,
    category: cp.slice(0, slash),
    package: cp.slice(slash + 1),
    cp,
    version: cpv === null ? null : cpv.version.raw,
    parsedVersion: cpv === null ? null : cpv.version,
    buildId,
    slot,
    subslot,
    slotOperator,
    repo: g["repo"] ?? null,
    useDeps,
  };
}

function parseUseDeps(raw: string, body: string): UseDep[] {
  const deps: UseDep[] = [];
  const missingEnabled = new Set<string>();
  const missingDisabled = new Set<string>();
  const noDefault = new Set<string>();
  for (const token of body.split(",")) {
    const m = USE_DEP_RE.exec(token);
    const kind = m === null ? undefined : USE_KINDS[m.groups!["prefix"]! + m.groups!["suffix"]!];
    if (m === null || kind === undefined) throw invalid(raw, `bad USE dependency '${clip(token, 40)}'`);
    const flag = m.groups!["flag"]!;
    const d = m.groups!["default"];
    // Portage refuses one flag given with conflicting defaults (or with and without one).
    if (d === "(+)") {
      if (missingDisabled.has(flag) || noDefault.has(flag)) throw invalid(raw, `conflicting defaults for '${flag}'`);
      missingEnabled.add(flag);
    } else if (d === "(-)") {
      if (missingEnabled.has(flag) || noDefault.has(flag)) throw invalid(raw, `conflicting defaults for '${flag}'`);
      missingDisabled.add(flag);
    } else {
      if (missingEnabled.has(flag) || missingDisabled.has(flag)) throw invalid(raw, `conflicting defaults for '${flag}'`);
      noDefault.add(flag);
    }
    deps.push({ raw: token, flag, kind, missing: d === "(+)" ? "enabled" : d === "(-)" ? "disabled" : null });
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
