import { type GlsaAdvisory, GlsaEvaluationError, PackageSet, PortageFormatError, type SlottedPackage, evaluateGlsa } from "@binfleet/shared";

/** An installed package as a node reports it, as much as advisories and fixes need. */
export interface InstalledEntry extends SlottedPackage {
  /** Enabled flags (vdb USE). */
  readonly use: readonly string[];
  /** IUSE with `+`/`-` defaults, as in vdb. */
  readonly iuse: readonly string[];
}

/** One vulnerable installed version and its least upgrade ("" when no visible version fixes it). */
export interface ExposedPackage {
  readonly installed: string;
  readonly fixed: string;
}

/**
 * The tree's advisories, indexed by the packages they name: a node is only evaluated against
 * advisories naming something it has installed, so a report costs what it has in common with them.
 */
export class AdvisoryIndex {
  private readonly byId: ReadonlyMap<string, GlsaAdvisory>;
  private readonly byCp = new Map<string, GlsaAdvisory[]>();

  constructor(advisories: ReadonlyMap<string, GlsaAdvisory>) {
    this.byId = advisories;
    for (const a of advisories.values()) {
      for (const cp of new Set(a.packages.map((p) => p.name))) {
        const list = this.byCp.get(cp);
        if (list === undefined) this.byCp.set(cp, [a]);
        else list.push(a);
      }
    }
  }

  get(id: string): GlsaAdvisory | undefined {
    return this.byId.get(id);
  }

  all(): GlsaAdvisory[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** Whether an advisory names the package (`category/package`). */
  names(cp: string): boolean {
    return this.byCp.has(cp);
  }

  /** Every package some advisory names, sorted. */
  packages(): string[] {
    return [...this.byCp.keys()].sort();
  }

  /** The advisories naming any of these packages, each once. */
  concerning(cps: Iterable<string>): GlsaAdvisory[] {
    const out = new Set<GlsaAdvisory>();
    for (const cp of cps) for (const a of this.byCp.get(cp) ?? []) out.add(a);
    return [...out];
  }
}

/**
 * The installed packages a node reported that are valid for matching (a report is input from the
 * node: a cpv or SLOT no atom can name is left out rather than failing the node's evaluation).
 */
export function installedSet(entries: readonly InstalledEntry[]): { set: PackageSet; entries: InstalledEntry[] } {
  try {
    return { set: PackageSet.of(entries), entries: [...entries] };
  } catch (err) {
    if (!(err instanceof PortageFormatError)) throw err;
    const valid = entries.filter((e) => {
      try {
        PackageSet.of([e]);
        return true;
      } catch {
        return false;
      }
    });
    const seen = new Map<string, InstalledEntry>();
    for (const e of valid) if (!seen.has(e.cpv)) seen.set(e.cpv, e);
    return { set: PackageSet.of([...seen.values()]), entries: [...seen.values()] };
  }
}

/**
 * A node's exposures: for each advisory naming something it has installed that Portage's glsa
 * module finds it vulnerable to, the vulnerable versions and their least upgrades among what the
 * node's platform can install. An advisory Portage cannot evaluate for the node is left out and
 * passed to `failed`.
 */
export function evaluateNode(
  index: AdvisoryIndex,
  node: { readonly arch: string; readonly installed: PackageSet; readonly cps: Iterable<string> },
  available: PackageSet,
  failed: (advisory: string, err: GlsaEvaluationError) => void,
): Map<string, ExposedPackage[]> {
  const out = new Map<string, ExposedPackage[]>();
  for (const advisory of index.concerning(node.cps)) {
    try {
      const verdict = evaluateGlsa(advisory, { arch: node.arch, installed: node.installed, available });
      if (verdict.vulnerable) out.set(advisory.id, verdict.affected.map((a) => ({ installed: a.installed, fixed: a.upgrade ?? "" })));
    } catch (err) {
      if (!(err instanceof GlsaEvaluationError)) throw err;
      failed(advisory.id, err);
    }
  }
  return out;
}
