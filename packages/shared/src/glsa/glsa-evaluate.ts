// Verdicts on an advisory for one system, as Portage's lib/portage/glsa.py gives them
// (Glsa.isVulnerable, getMinUpgrade with minimize=True, getAffectionTable, getMergeList),
// with glsa-check's rule that upgrades are only computed for a vulnerable system.
//
// Where glsa.py talks to Portage's databases, a GlsaSystem stands in:
// - vardb (installed packages) is `installed`: `vardb.match(atom)` is "the members of
//   `installed` the atom matches", `vardb._pkg_str(cpv).slot` their SLOT;
// - portdb (the ebuild repositories) is `available`: `portdb.match(atom)` matches only
//   visible ebuilds (not masked, keywords accepted), so `available` must hold exactly the
//   ebuilds the system can see, each with its SLOT (a snapshot's md5-cache as that platform's
//   profile and ACCEPT_KEYWORDS filter it), not every ebuild in the tree;
// - settings["ARCH"] is `arch`.
import { type Atom, atomMatches, parseAtom } from "../atom.js";
import { GlsaEvaluationError } from "../errors.js";
import { compareVersions } from "../version.js";
import type { GlsaAdvisory, GlsaPackage, GlsaRange, GlsaRangeOp } from "./glsa.js";
import type { PackageSet, PackageSetEntry } from "./package-set.js";

export interface GlsaSystem {
  /** Portage's ARCH ("amd64"), looked up in each `<package arch>` list. */
  readonly arch: string;
  /** What is installed (Portage's vardb). */
  readonly installed: PackageSet;
  /** The visible ebuilds (Portage's portdb as `match` sees it); see the module comment. */
  readonly available: PackageSet;
}

/** One installed vulnerable version and its least upgrade (glsa.py's affection table). */
export interface GlsaAffected {
  readonly installed: string;
  /** The lowest available unaffected version above it in its SLOT; null when there is none. */
  readonly upgrade: string | null;
}

export interface GlsaVerdict {
  /** Glsa.isVulnerable(): an installed version is in a vulnerable range and no unaffected one, for a package whose arch list holds ARCH. */
  readonly vulnerable: boolean;
  /**
   * Glsa.getMergeList(least_change=True) when vulnerable, else []: the distinct least upgrades,
   * sorted. Like Portage it spans every `<package>` (arch lists aside), and leaves out installed
   * versions with no upgrade: vulnerable with [] means nothing available fixes it.
   */
  readonly minUpgrade: readonly string[];
  /** Glsa.getAffectionTable(least_change=True) when vulnerable, else []. */
  readonly affected: readonly GlsaAffected[];
}

// glsa.py's opMapping: the revision forms are "op~", and rgt/rlt keep a leading space.
const PORTAGE_OPS: Record<GlsaRangeOp, string> = { lt: "<", le: "<=", eq: "=", ge: ">=", gt: ">", rge: ">=~", rle: "<=~", rgt: " >~", rlt: " <~" };

interface CompiledRange {
  /** The atom as glsa.py's makeAtom writes it, for messages. */
  readonly portageAtom: string;
  /** What the database is asked to match: the atom, or `~cat/pkg-VERSION[:slot]` for a revision range. */
  readonly atom: Atom;
  /** For a revision range: the comparison glsa.py's revisionMatch evaluates, and the range's revision. */
  readonly revision: { readonly op: ">=" | "<=" | ">" | "<"; readonly digits: string } | null;
}

interface CompiledPackage {
  readonly vulnerable: readonly CompiledRange[];
  readonly unaffected: readonly CompiledRange[];
}

// Parse once: an advisory is evaluated against many systems.
const compiled = new WeakMap<GlsaPackage, CompiledPackage>();

function compile(pkg: GlsaPackage): CompiledPackage {
  let c = compiled.get(pkg);
  if (c === undefined) {
    c = { vulnerable: pkg.vulnerable.map((r) => compileRange(pkg.name, r)), unaffected: pkg.unaffected.map((r) => compileRange(pkg.name, r)) };
    compiled.set(pkg, c);
  }
  return c;
}

function compileRange(name: string, r: GlsaRange): CompiledRange {
  const slot = r.slot === null ? "" : `:${r.slot}`;
  const portageAtom = `${PORTAGE_OPS[r.op]}${name}-${r.version}${slot}`;
  if (!r.op.startsWith("r")) return { portageAtom, atom: parseAtom(portageAtom), revision: null };
  const m = /^(.*?)(?:-r(\d+))?$/.exec(r.version)!;
  return {
    portageAtom,
    atom: parseAtom(`~${name}-${m[1]!}${slot}`),
    revision: { op: PORTAGE_OPS[r.op].slice(0, 2).trim() as ">=" | "<=" | ">" | "<", digits: m[2] ?? "0" },
  };
}

/**
 * Evaluates an advisory for one system. Throws {@link GlsaEvaluationError} exactly where
 * Portage's glsa module raises instead of answering: a revision range with a slot (or a
 * revision with a leading zero, which it hands to Python's eval) once it matches something,
 * or an upgrade only spelled "-r0". An advisory not made by `parseGlsa` (JSON revived,
 * say) whose ranges no atom can hold throws PortageFormatError.
 */
export function evaluateGlsa(advisory: GlsaAdvisory, system: GlsaSystem): GlsaVerdict {
  const ctx: Ctx = { id: advisory.id, system };
  // glsa.py keeps packages in a dict by name: paths grouped by name, names in first-seen order.
  const paths = groupByName(advisory.packages);
  let vulnerable = false;
  for (const pkg of paths) {
    if (pkg.arch !== "*" && !archList(pkg.arch).includes(system.arch)) continue;
    const c = compile(pkg);
    // Portage's `rValue = rValue or (...)`: once vulnerable, the rest is not evaluated (nor can fail).
    for (const v of c.vulnerable) {
      if (!vulnerable) vulnerable = match(ctx, v, system.installed).length > 0 && minUpgrade(ctx, c) !== null;
    }
  }
  if (!vulnerable) return { vulnerable, minUpgrade: [], affected: [] };
  const affected = paths.flatMap((pkg) => minUpgrade(ctx, compile(pkg)) ?? []);
  const upgrades = new Set(affected.flatMap((a) => (a.upgrade === null ? [] : [a.upgrade])));
  return { vulnerable, minUpgrade: [...upgrades].sort(), affected };
}

// Python's str.split(): no empty strings for leading or trailing whitespace.
function archList(arch: string): string[] {
  return arch.split(/\s+/).filter((a) => a !== "");
}

interface Ctx {
  readonly id: string;
  readonly system: GlsaSystem;
}

function groupByName(packages: readonly GlsaPackage[]): GlsaPackage[] {
  const byName = new Map<string, GlsaPackage[]>();
  for (const p of packages) {
    const list = byName.get(p.name);
    if (list === undefined) byName.set(p.name, [p]);
    else list.push(p);
  }
  return [...byName.values()].flat();
}

/** glsa.py's match()/revisionMatch(): the members of `set` in the range. */
function match(ctx: Ctx, r: CompiledRange, set: PackageSet): PackageSetEntry[] {
  const found = set.forCp(r.atom.cp).filter((e) => atomMatches(r.atom, e));
  if (r.revision === null || found.length === 0) return found;
  const rev = r.revision;
  if (r.atom.slot !== null) {
    // revisionMatch splits the range's cpv with its ":slot" still attached: pkgsplit gives None.
    throw new GlsaEvaluationError(`GLSA ${ctx.id}: Portage cannot evaluate the revision range '${r.portageAtom.trim()}' (a slot on a revision range)`, ctx.id, r.portageAtom);
  }
  return found.filter((e) => {
    const mine = e.cpv.version.revision || "0";
    for (const digits of [mine, rev.digits]) {
      // Python refuses integer literals like "07"; revisionMatch builds one with eval().
      if (/^0+[1-9]/.test(digits)) {
        throw new GlsaEvaluationError(`GLSA ${ctx.id}: Portage cannot evaluate the revision range '${r.portageAtom.trim()}' against revision r${digits} (a leading zero)`, ctx.id, r.portageAtom);
      }
    }
    const a = BigInt(mine);
    const b = BigInt(rev.digits);
    return rev.op === ">=" ? a >= b : rev.op === "<=" ? a <= b : rev.op === ">" ? a > b : a < b;
  });
}

function union(ctx: Ctx, ranges: readonly CompiledRange[], set: PackageSet): Map<string, PackageSetEntry> {
  const out = new Map<string, PackageSetEntry>();
  for (const r of ranges) for (const e of match(ctx, r, set)) out.set(e.cpv.cpv, e);
  return out;
}

/**
 * glsa.py's getMinUpgrade(minimize=True): null when no installed version is vulnerable (in a
 * vulnerable range and in no unaffected one); else, for each such version, the lowest
 * available version above it in the same SLOT that an unaffected range matches (installed
 * unaffected versions excluded), written without "-r0".
 */
function minUpgrade(ctx: Ctx, pkg: CompiledPackage): GlsaAffected[] | null {
  const { installed, available } = ctx.system;
  const vulnerable = union(ctx, pkg.vulnerable, installed);
  const unaffected = union(ctx, pkg.unaffected, installed);
  for (const cpv of unaffected.keys()) vulnerable.delete(cpv);
  if (vulnerable.size === 0) return null;
  const candidates = union(ctx, pkg.unaffected, available);
  for (const cpv of unaffected.keys()) candidates.delete(cpv);
  // Python iterates sets in hash order; only versions that compare equal (1.0, 1.00) could
  // tell orders apart, and sorting makes ours one fixed order among Portage's.
  const sortedCandidates = [...candidates.values()].sort((a, b) => (a.cpv.cpv < b.cpv.cpv ? -1 : a.cpv.cpv > b.cpv.cpv ? 1 : 0));
  return [...vulnerable.keys()].sort().map((cpv) => {
    const vuln = vulnerable.get(cpv)!;
    let best: PackageSetEntry | null = null;
    for (const c of sortedCandidates) {
      if (c.slot !== vuln.slot || compareVersions(c.cpv.version, vuln.cpv.version) <= 0) continue;
      if (best === null || compareVersions(c.cpv.version, best.cpv.version) <= 0) best = c;
    }
    return { installed: cpv, upgrade: best === null ? null : withoutR0(ctx, best) };
  });
}

// glsa.py rebuilds the name from catpkgsplit ("we don't like -r0 for display") and looks that
// name up in portdb, which fails when only the "-r0" spelling is there.
function withoutR0(ctx: Ctx, e: PackageSetEntry): string {
  if (e.cpv.version.revision !== "0") return e.cpv.cpv;
  const name = e.cpv.cpv.slice(0, -"-r0".length);
  if (!ctx.system.available.has(name)) {
    throw new GlsaEvaluationError(`GLSA ${ctx.id}: Portage cannot name the upgrade ${e.cpv.cpv}: it looks up ${name}, which is not available`, ctx.id, e.cpv.cpv);
  }
  return name;
}
