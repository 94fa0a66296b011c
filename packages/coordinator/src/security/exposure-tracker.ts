import { realpath } from "node:fs/promises";
import { type GlsaAdvisory, type Logger, tryParseCpv } from "@binfleet/shared";
import type { AgentReport } from "@binfleet/shared/wire";
import { type BuilderTree, type PortageqRunner, portageqIn } from "../builders/builder-tree.js";
import { layoutOf } from "../builders/root-portage.js";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";
import { type RefusedAdvisory, readAdvisories } from "./advisory-reader.js";
import { AdvisoryIndex, type ExposedPackage, type InstalledEntry, evaluateNode, installedSet } from "./exposure-evaluator.js";
import type { ExposureRecord, GlsaStore, NoticedAdvisory, StoredSecurity } from "./glsa-store.js";
import { NO_VERSIONS, type VisibleVersions, visibleVersions } from "./visible-versions.js";

export interface ExposureTrackerOptions {
  readonly store: Pick<GlsaStore, "putExposure" | "deleteExposure" | "putNoticed">;
  /** The platforms with a builder and their trees (the PlatformCatalog). */
  readonly platforms: { all(): readonly PlatformConfig[]; tree(key: string): Pick<BuilderTree, "repositories"> | undefined };
  /** Runs portageq in a builder root (default: the configured portageq). */
  readonly portageq?: (platform: PlatformConfig) => PortageqRunner;
  readonly portage: CoordinatorConfig["portage"];
  /** The latest report of every node, read again when advisories name packages not kept so far. */
  readonly forEachLatestReport: (fn: (r: AgentReport) => void) => Promise<void>;
  readonly now?: () => number;
  readonly log: Logger;
}

/** What the coordinator keeps of a node's latest report: its ARCH and the installed packages advisories name. */
interface NodeInstalled {
  readonly platformKey: string;
  readonly arch: string;
  readonly installed: readonly InstalledEntry[];
  /** The tree's read (see `generation`) the node was last matched against; -1: not yet. */
  matched: number;
}

const sameInstalled = (a: NodeInstalled, b: NodeInstalled): boolean =>
  a.platformKey === b.platformKey && a.arch === b.arch && a.installed.length === b.installed.length && a.installed.every((e, i) => e.cpv === b.installed[i]!.cpv && e.slot === b.installed[i]!.slot);

/** An advisory with how much of the fleet it exposes. */
export interface AdvisoryExposure {
  readonly advisory: GlsaAdvisory;
  readonly exposures: readonly ExposureRecord[];
  readonly noticedAt: number;
}

const sameExposure = (a: readonly ExposedPackage[], b: readonly ExposedPackage[]): boolean =>
  a.length === b.length && a.every((p, i) => p.installed === b[i]!.installed && p.fixed === b[i]!.fixed);

/**
 * Which nodes the tree's security advisories (GLSAs) expose. Advisories are read from the
 * builders' repositories after each sync (new ones and new revisions noticed); each node's latest
 * report is matched as Portage's glsa module would, against what its platform's builders can
 * install; the result is kept as exposure records in the `binfleet-glsa` bucket, each with when
 * it was first seen. Only packages some advisory names are kept of a report, and a report is
 * only matched against the advisories naming something it has installed.
 */
export class ExposureTracker {
  private index = new AdvisoryIndex(new Map());
  private refused: readonly RefusedAdvisory[] = [];
  private readonly available = new Map<string, VisibleVersions>();
  private readonly nodes = new Map<string, NodeInstalled>();
  /** node → advisory id → record. */
  private readonly exposures = new Map<string, Map<string, ExposureRecord>>();
  private readonly noticed = new Map<string, NoticedAdvisory>();
  private readonly listeners = new Set<(advisories: ReadonlySet<string>) => void>();
  private readonly now: () => number;
  /** Counts the reads of the tree: a node matched against the current one need not be again for the same packages. */
  private generation = 0;
  /** Installed cpv → its package when an advisory names it, else null: nodes of a fleet share most of their cpvs. */
  private readonly named = new Map<string, string | null>();

  constructor(private readonly o: ExposureTrackerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Takes in what the bucket holds: exposures keep their first-seen time across restarts. */
  restore(stored: StoredSecurity): void {
    for (const r of stored.exposures) this.exposuresOf(r.node).set(r.glsa, r);
    for (const n of stored.noticed) this.noticed.set(n.id, n);
  }

  /** Called with the advisories whose exposures changed. */
  onChange(listener: (advisories: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reads the advisories of the builders' trees again (after a sync, and at start) and
   * re-evaluates every node; returns the ids of advisories new to the coordinator or revised.
   * With `rescan`, the latest reports are read again when an advisory names a package that was
   * not kept of them (at start the report intake brings every report anyway).
   */
  async refreshTree(rescan: boolean): Promise<string[]> {
    const dirsByPlatform = new Map<string, string[]>();
    for (const p of this.o.platforms.all()) {
      const dirs = (await this.o.platforms.tree(p.key)?.repositories()) ?? [];
      dirsByPlatform.set(p.key, await Promise.all(dirs.map((d) => realpath(d).catch(() => d))));
    }
    const read = await readAdvisories([...new Set([...dirsByPlatform.values()].flat())]);
    this.generation++;
    this.named.clear();
    for (const r of read.refused) this.o.log.warn({ file: r.file, err: r.error }, "advisory refused");
    const before = new Set(this.index.packages());
    this.index = new AdvisoryIndex(read.advisories);
    this.refused = read.refused;
    const fresh: string[] = [];
    for (const a of this.index.all()) {
      const n = this.noticed.get(a.id);
      if (n !== undefined && n.revisionCount >= a.revisionCount) continue;
      const noticed = { id: a.id, revisionCount: a.revisionCount, noticedAt: this.now(), reportedAt: 0 };
      this.noticed.set(a.id, noticed);
      await this.o.store.putNoticed(noticed);
      fresh.push(a.id);
    }
    const cps = this.index.packages();
    for (const p of this.o.platforms.all()) {
      const runner = (this.o.portageq ?? ((platform) => portageqIn(this.o.portage, layoutOf(platform))))(p);
      try {
        this.available.set(p.key, await visibleVersions(runner, dirsByPlatform.get(p.key) ?? [], cps));
      } catch (err) {
        // Without what the platform can install, exposures stand but name no fix.
        this.available.set(p.key, NO_VERSIONS);
        this.o.log.error({ platform: p.name, err: (err as Error).message }, "visible versions unknown");
      }
    }
    if (rescan && cps.some((cp) => !before.has(cp))) await this.o.forEachLatestReport((r) => this.keep(r));
    const changed = new Set<string>();
    for (const node of this.nodes.keys()) for (const id of await this.evaluate(node)) changed.add(id);
    // Exposures to advisories gone from the tree, of nodes not reported since the start.
    for (const [node, byId] of this.exposures) {
      if (this.nodes.has(node)) continue;
      for (const id of [...byId.keys()]) {
        if (this.index.get(id) !== undefined) continue;
        await this.drop(node, id);
        changed.add(id);
      }
    }
    this.o.log.info({ advisories: this.index.size, refused: read.refused.length, noticed: fresh }, "advisories read");
    this.emit(changed);
    return fresh;
  }

  /**
   * A node's report was accepted: its exposures now. Most reports change nothing advisories name
   * (another package was updated): those are not matched again.
   */
  async report(r: AgentReport): Promise<void> {
    const before = this.nodes.get(r.nodeId);
    const now = this.keep(r);
    if (before !== undefined && before.matched === this.generation && sameInstalled(before, now)) {
      now.matched = this.generation;
      return;
    }
    this.emit(new Set(await this.evaluate(r.nodeId)));
  }

  /** Keeps of a report what advisories name. */
  private keep(r: AgentReport): NodeInstalled {
    const installed: InstalledEntry[] = [];
    for (const p of r.installed) {
      if (this.namedPackage(p.cpv) === null) continue;
      installed.push({ cpv: p.cpv, slot: p.subslot !== "" && p.subslot !== p.slot ? `${p.slot}/${p.subslot}` : p.slot, use: [...p.use], iuse: [...p.iuse] });
    }
    const kept: NodeInstalled = { platformKey: r.platform?.key ?? "", arch: r.platform?.arch ?? "", installed, matched: -1 };
    this.nodes.set(r.nodeId, kept);
    return kept;
  }

  /** The package of an installed cpv if an advisory names it: found by its `category/package` prefix, parsed only then. */
  private namedPackage(cpv: string): string | null {
    let cp = this.named.get(cpv);
    if (cp === undefined) {
      let cut = cpv.indexOf("-", cpv.indexOf("/"));
      while (cut > 0 && !this.index.names(cpv.slice(0, cut))) cut = cpv.indexOf("-", cut + 1);
      cp = cut > 0 && tryParseCpv(cpv)?.cp === cpv.slice(0, cut) ? cpv.slice(0, cut) : null;
      // Bounded: a stream of made-up cpvs from reports must not grow it without end.
      if (this.named.size >= 200_000) this.named.clear();
      this.named.set(cpv, cp);
    }
    return cp;
  }

  /** Matches a node against the advisories naming its packages and stores what changed; returns the advisories whose exposures changed. */
  private async evaluate(node: string): Promise<string[]> {
    const n = this.nodes.get(node)!;
    n.matched = this.generation;
    const { set, entries } = installedSet(n.installed);
    const cps = new Set(entries.map((e) => tryParseCpv(e.cpv)!.cp));
    const available = this.available.get(n.platformKey)?.set ?? NO_VERSIONS.set;
    const now = entries.length === 0 ? new Map<string, ExposedPackage[]>() : evaluateNode(this.index, { arch: n.arch, installed: set, cps }, available, (id, err) => this.o.log.warn({ node, glsa: id, err: err.message }, "advisory not evaluated"));
    const before = this.exposures.get(node) ?? new Map<string, ExposureRecord>();
    const changed: string[] = [];
    for (const [id, packages] of now) {
      const prev = before.get(id);
      if (prev !== undefined && prev.platformKey === n.platformKey && sameExposure(prev.packages, packages)) continue;
      const r: ExposureRecord = { node, glsa: id, platformKey: n.platformKey, packages, firstSeen: prev?.firstSeen ?? this.now() };
      this.exposuresOf(node).set(id, r);
      await this.o.store.putExposure(r);
      if (prev === undefined) this.o.log.info({ node, glsa: id, packages }, "node exposed to an advisory");
      changed.push(id);
    }
    for (const id of [...before.keys()]) {
      if (now.has(id)) continue;
      await this.drop(node, id);
      this.o.log.info({ node, glsa: id }, "node no longer exposed to an advisory");
      changed.push(id);
    }
    return changed;
  }

  private async drop(node: string, id: string): Promise<void> {
    this.exposures.get(node)?.delete(id);
    if (this.exposures.get(node)?.size === 0) this.exposures.delete(node);
    await this.o.store.deleteExposure(node, id);
  }

  private exposuresOf(node: string): Map<string, ExposureRecord> {
    let m = this.exposures.get(node);
    if (m === undefined) this.exposures.set(node, (m = new Map()));
    return m;
  }

  private emit(changed: ReadonlySet<string>): void {
    if (changed.size > 0) for (const l of this.listeners) l(changed);
  }

  /** An advisory of the tree, by id. */
  advisory(id: string): GlsaAdvisory | undefined {
    return this.index.get(id);
  }

  /** Every advisory of the tree with its exposures (sorted by node), most exposed nodes first, then by id. */
  advisories(): AdvisoryExposure[] {
    const byId = new Map<string, ExposureRecord[]>();
    for (const m of this.exposures.values()) {
      for (const r of m.values()) {
        const list = byId.get(r.glsa);
        if (list === undefined) byId.set(r.glsa, [r]);
        else list.push(r);
      }
    }
    return this.index
      .all()
      .map((advisory) => ({ advisory, exposures: (byId.get(advisory.id) ?? []).sort((a, b) => (a.node < b.node ? -1 : 1)), noticedAt: this.noticed.get(advisory.id)?.noticedAt ?? 0 }))
      .sort((a, b) => b.exposures.length - a.exposures.length || (a.advisory.id < b.advisory.id ? -1 : 1));
  }

  /**
   * Advisories affecting the fleet that no nightly report has named yet (new ones, new
   * revisions, and those that had exposed nobody so far), now marked as named.
   */
  async takeUnreported(): Promise<AdvisoryExposure[]> {
    const out = this.advisories().filter((a) => a.exposures.length > 0 && this.noticed.get(a.advisory.id)?.reportedAt === 0);
    for (const a of out) {
      const n = { ...this.noticed.get(a.advisory.id)!, reportedAt: this.now() };
      this.noticed.set(n.id, n);
      await this.o.store.putNoticed(n);
    }
    return out;
  }

  /** One advisory of the tree with its exposures, if the tree has it. */
  exposure(id: string): AdvisoryExposure | undefined {
    const advisory = this.index.get(id);
    return advisory === undefined ? undefined : { advisory, exposures: this.exposed(id), noticedAt: this.noticed.get(id)?.noticedAt ?? 0 };
  }

  /** The nodes exposed to an advisory, by node. */
  exposed(id: string): ExposureRecord[] {
    const out: ExposureRecord[] = [];
    for (const m of this.exposures.values()) {
      const r = m.get(id);
      if (r !== undefined) out.push(r);
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  /** Advisory files of the tree that were refused at the last read. */
  refusedFiles(): readonly RefusedAdvisory[] {
    return this.refused;
  }

  /** What a node has installed of the packages advisories name (from its latest report). */
  installed(node: string): readonly InstalledEntry[] {
    return this.nodes.get(node)?.installed ?? [];
  }

  /** IUSE of an ebuild a platform's builders can install, if it is one advisories name. */
  iuse(platformKey: string, cpv: string): readonly string[] | undefined {
    return this.available.get(platformKey)?.iuse.get(cpv);
  }
}
