import { readFileSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Cpv, compareVersions, parseCpv } from "@binfleet/shared/portage";
import { type DepNode, parseDepString } from "./dep-string.js";

/** One IUSE entry: `+bar` has default "+". */
export interface IuseEntry {
  readonly name: string;
  readonly default: "+" | "-" | "";
}

/** An ebuild as the metadata cache describes it (`metadata/md5-cache/<cat>/<pf>`). */
export interface Ebuild {
  readonly cpv: Cpv;
  readonly repo: string;
  readonly slot: string;
  readonly subslot: string;
  readonly eapi: string;
  readonly iuse: readonly IuseEntry[];
  readonly keywords: readonly string[];
  readonly license: string;
  readonly description: string;
  readonly homepage: string;
  readonly definedPhases: string;
  readonly requiredUse: string;
  /** Raw dependency strings, as in the cache. */
  readonly rdepend: string;
  readonly depend: string;
  readonly bdepend: string;
  readonly pdepend: string;
  /** The cache lines as read, for writing them into vdb and Packages entries. */
  readonly cache: Readonly<Record<string, string>>;
}

export function iuseNames(e: Ebuild): Set<string> {
  return new Set(e.iuse.map((i) => i.name));
}

function parseIuse(s: string): IuseEntry[] {
  return s
    .split(/\s+/)
    .filter((w) => w !== "")
    .map((w) => (w[0] === "+" || w[0] === "-" ? { name: w.slice(1), default: w[0] } : { name: w, default: "" }));
}

/** Parses one md5-cache file (`KEY=value` lines). */
export function parseCacheEntry(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * An ebuild repository on disk in Portage's layout, read through its metadata
 * cache, as Portage does for a synced tree. Package directories are read lazily.
 */
export class Repository {
  private readonly byCp = new Map<string, Promise<Ebuild[]>>();
  private readonly entriesByCategory = new Map<string, Promise<string[]>>();
  private readonly depCache = new Map<string, DepNode[]>();
  private categoryList: Promise<string[]> | null = null;

  private constructor(
    readonly name: string,
    readonly location: string,
  ) {}

  static async open(location: string): Promise<Repository> {
    const name = (await readFile(join(location, "profiles/repo_name"), "utf8")).trim();
    return new Repository(name, location);
  }

  /** `metadata/timestamp.chk` (what `emerge --sync` records), or "" when absent. */
  async snapshotId(): Promise<string> {
    try {
      return (await readFile(join(this.location, "metadata/timestamp.chk"), "utf8")).trim();
    } catch {
      return "";
    }
  }

  categories(): Promise<string[]> {
    this.categoryList ??= readdir(join(this.location, "metadata/md5-cache")).then(
      (c) => c.filter((x) => !x.startsWith(".")).sort(),
      () => [],
    );
    return this.categoryList;
  }

  /** Every `category/package` in the tree. */
  async allCps(): Promise<string[]> {
    const out: string[] = [];
    for (const cat of await this.categories()) {
      const seen = new Set<string>();
      for (const pf of await this.categoryEntries(cat)) {
        const cpv = safeCpv(`${cat}/${pf}`);
        if (cpv !== null && !seen.has(cpv.cp)) {
          seen.add(cpv.cp);
          out.push(cpv.cp);
        }
      }
    }
    return out;
  }

  /** The ebuilds of one package, lowest version first; [] for an unknown package. */
  versions(cp: string): Promise<Ebuild[]> {
    let p = this.byCp.get(cp);
    if (p === undefined) {
      p = this.loadVersions(cp);
      this.byCp.set(cp, p);
    }
    return p;
  }

  /** A category's md5-cache entries, listed once per process. */
  private categoryEntries(cat: string): Promise<string[]> {
    let p = this.entriesByCategory.get(cat);
    if (p === undefined) {
      p = readdir(join(this.location, "metadata/md5-cache", cat)).catch(() => []);
      this.entriesByCategory.set(cat, p);
    }
    return p;
  }

  private async loadVersions(cp: string): Promise<Ebuild[]> {
    const [cat, pn] = cp.split("/") as [string, string];
    const dir = join(this.location, "metadata/md5-cache", cat);
    const cpvs = (await this.categoryEntries(cat)).filter((pf) => pf.startsWith(`${pn}-`)).flatMap((pf) => {
      const cpv = safeCpv(`${cat}/${pf}`);
      return cpv === null || cpv.package !== pn ? [] : [{ cpv, pf }];
    });
    // Read synchronously: a package's few small cache entries cost four thread-pool round trips
    // each through fs/promises (open, fstat, read, close), and nothing else runs meanwhile.
    const out = cpvs.map(({ cpv, pf }) => this.toEbuild(cpv, parseCacheEntry(readFileSync(join(dir, pf), "utf8"))));
    return out.sort((a, b) => compareVersions(a.cpv.version, b.cpv.version));
  }

  async ebuild(cpv: string): Promise<Ebuild | undefined> {
    const parsed = safeCpv(cpv);
    if (parsed === null) return undefined;
    return (await this.versions(parsed.cp)).find((e) => e.cpv.cpv === cpv);
  }

  private toEbuild(cpv: Cpv, c: Record<string, string>): Ebuild {
    const [slot = "0", subslot = slot] = (c["SLOT"] ?? "0").split("/");
    return {
      cpv,
      repo: this.name,
      slot,
      subslot,
      eapi: c["EAPI"] ?? "0",
      iuse: parseIuse(c["IUSE"] ?? ""),
      keywords: (c["KEYWORDS"] ?? "").split(/\s+/).filter((w) => w !== ""),
      license: c["LICENSE"] ?? "",
      description: c["DESCRIPTION"] ?? "",
      homepage: c["HOMEPAGE"] ?? "",
      definedPhases: c["DEFINED_PHASES"] ?? "",
      requiredUse: c["REQUIRED_USE"] ?? "",
      rdepend: c["RDEPEND"] ?? "",
      depend: c["DEPEND"] ?? "",
      bdepend: c["BDEPEND"] ?? "",
      pdepend: c["PDEPEND"] ?? "",
      cache: c,
    };
  }

  /** Parsed dependency string, cached (the same strings recur across a tree). */
  deps(text: string): DepNode[] {
    let d = this.depCache.get(text);
    if (d === undefined) {
      d = parseDepString(text);
      this.depCache.set(text, d);
    }
    return d;
  }

  /** Distfiles the package's Manifest lists: name → size in bytes. */
  async distfiles(cp: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let text: string;
    try {
      text = await readFile(join(this.location, cp, "Manifest"), "utf8");
    } catch {
      return out;
    }
    for (const line of text.split("\n")) {
      const m = /^DIST (\S+) (\d+)/.exec(line);
      if (m !== null) out.set(m[1]!, Number(m[2]));
    }
    return out;
  }

  /**
   * Simulated build time in seconds: the generator records it in the ebuild as
   * `# binfleet-sim: build-seconds=N`; other trees get a stable guess from the name.
   */
  async buildSeconds(e: Ebuild): Promise<number> {
    try {
      const text = await readFile(join(this.location, e.cpv.cp, `${e.cpv.package}-${e.cpv.version.raw}.ebuild`), "utf8");
      const m = /^# binfleet-sim: build-seconds=(\d+(?:\.\d+)?)/m.exec(text);
      if (m !== null) return Number(m[1]);
    } catch {
      // not generated by binfleet-sim: fall through to the guess
    }
    let h = 0;
    for (const ch of e.cpv.cp) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return 20 + (h % 280);
  }
}

function safeCpv(text: string): Cpv | null {
  try {
    return parseCpv(text);
  } catch {
    return null;
  }
}

/** What building each cpv costs in simulated seconds (0 for a cpv the repository lacks). */
export async function simulatedBuildSeconds(repoDir: string, cpvs: readonly string[]): Promise<Map<string, number>> {
  const repo = await Repository.open(repoDir);
  const out = new Map<string, number>();
  for (const cpv of new Set(cpvs)) {
    const e = await repo.ebuild(cpv);
    out.set(cpv, e === undefined ? 0 : await repo.buildSeconds(e));
  }
  return out;
}
