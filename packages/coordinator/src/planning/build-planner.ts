/** One package variant: what is built once per platform and shared by every node that wants it. */
export interface Variant {
  readonly platformKey: string;
  readonly cpv: string;
  /** Enabled USE flags within IUSE, sorted (USE_EXPAND flags in flag form). */
  readonly use: readonly string[];
  /** The visible IUSE flags that are off, when a node's report told them (not part of the key). */
  readonly disabled?: readonly string[];
}

/** Flags sorted, without copying when they already are (agents and the registry send them sorted). */
function sortedFlags(flags: readonly string[]): readonly string[] {
  for (let i = 1; i < flags.length; i++) if (flags[i - 1]! > flags[i]!) return [...flags].sort();
  return flags;
}

/** The idempotency key of a build: platform + cpv + USE. */
export function variantKey(v: Variant): string {
  return `${v.platformKey}|${v.cpv}|${v.use.join(",")}`;
}

/** What one node would compile, from its last report (the `[ebuild]` lines of its plan, in merge order). */
export interface NodeNeeds {
  readonly nodeId: string;
  readonly platformKey: string;
  readonly wants: readonly { readonly cpv: string; readonly use: readonly string[]; readonly disabled?: readonly string[] }[];
}

export interface BuildItem {
  readonly key: string;
  readonly variant: Variant;
  /** Node ids that want it, sorted. */
  readonly wantedBy: readonly string[];
}

interface VariantEntry {
  readonly key: string;
  readonly variant: Variant;
  /**
   * The nodes that want it (by their number, see BuildPlanner.nodeNumber), each with its merge
   * position: emerge lists dependencies first, so building in this order builds them first.
   */
  readonly positions: Map<number, number>;
  /** The earliest position any node gives it (kept as nodes come and go). */
  order: number;
}

interface PlatformState {
  readonly variants: Map<string, VariantEntry>;
  /**
   * cpv → joined USE → entry: a node's wants are looked up by their cpv and short USE string, not
   * by a long key built for each one (at fleet scale that string work was most of a full plan).
   */
  readonly byCpv: Map<string, Map<string, VariantEntry>>;
  readonly held: Set<string>;
  /** The build list as last computed; null when a change since then may have altered it. */
  sorted: BuildItem[] | null;
  /** cpv → USE of each held variant: what explain compares a node's wish against. */
  readonly heldByCpv: Map<string, string[][]>;
}

/**
 * A build-list item. Its node list is sorted when first read: a full plan of a large fleet has
 * hundreds of thousands of items, and most callers (queueing, counting) never read it.
 */
function buildItem(key: string, e: VariantEntry, names: readonly string[]): BuildItem {
  let wantedBy: readonly string[] | null = null;
  return {
    key,
    variant: e.variant,
    get wantedBy() {
      wantedBy ??= [...e.positions.keys()].map((n) => names[n]!).sort();
      return wantedBy;
    },
  };
}

/**
 * The deduplicated build list per platform, kept incrementally: a node's new
 * report only touches the variants that node added or dropped, so re-planning
 * after one report costs what that report changed, not the size of the fleet.
 */
export class BuildPlanner {
  private readonly platforms = new Map<string, PlatformState>();
  /** Each node's number, platform and the entries it wants, with its merge position in each. */
  private readonly nodes = new Map<string, { number: number; platformKey: string; wants: Map<VariantEntry, number> }>();
  /**
   * Node ids by number: variants key their nodes by a small number, which hashes faster than the
   * id string (a full plan sets a million of them). Numbers are not reused; ids are few.
   */
  private readonly names: string[] = [];

  private platform(key: string): PlatformState {
    let p = this.platforms.get(key);
    if (p === undefined) {
      p = { variants: new Map(), byCpv: new Map(), held: new Set(), heldByCpv: new Map(), sorted: null };
      this.platforms.set(key, p);
    }
    return p;
  }

  /** Replaces a node's needs; returns the variant keys that appeared in or left the plan. */
  updateNode(needs: NodeNeeds): { added: string[]; removed: string[] } {
    const p = this.platform(needs.platformKey);
    const added: string[] = [];
    const removed: string[] = [];
    // Entry → merge position of its first occurrence; entries are made only for new variants.
    const next = new Map<VariantEntry, number>();
    needs.wants.forEach((w, i) => {
      const use = sortedFlags(w.use);
      const joined = use.join(",");
      let byUse = p.byCpv.get(w.cpv);
      if (byUse === undefined) p.byCpv.set(w.cpv, (byUse = new Map()));
      let e = byUse.get(joined);
      if (e === undefined) {
        const variant: Variant = { platformKey: needs.platformKey, cpv: w.cpv, use, ...(w.disabled === undefined ? {} : { disabled: sortedFlags(w.disabled) }) };
        e = { key: `${needs.platformKey}|${w.cpv}|${joined}`, variant, positions: new Map(), order: i };
        byUse.set(joined, e);
        p.variants.set(e.key, e);
        added.push(e.key);
      }
      if (!next.has(e)) next.set(e, i);
    });
    const prev = this.nodes.get(needs.nodeId);
    const node = prev?.number ?? this.names.push(needs.nodeId) - 1;
    if (prev !== undefined) {
      const pp = this.platform(prev.platformKey);
      for (const e of prev.wants.keys()) {
        if (next.has(e)) continue;
        const pos = e.positions.get(node);
        e.positions.delete(node);
        pp.sorted = null;
        if (e.positions.size === 0) {
          pp.variants.delete(e.key);
          const byUse = pp.byCpv.get(e.variant.cpv)!;
          byUse.delete(e.variant.use.join(","));
          if (byUse.size === 0) pp.byCpv.delete(e.variant.cpv);
          removed.push(e.key);
        } else if (pos === e.order) {
          // The node that set the earliest position left: only this variant's order is recomputed.
          e.order = Math.min(...e.positions.values());
        }
      }
    }
    // A node seen for the first time is in no variant yet: nothing to look up before adding it.
    const known = prev !== undefined;
    for (const [e, pos] of next) {
      const before = known ? e.positions.get(node) : undefined;
      e.positions.set(node, pos);
      if (pos < e.order) e.order = pos;
      else if (before === e.order && pos > before) e.order = Math.min(...e.positions.values());
      if (before !== pos) p.sorted = null;
    }
    this.nodes.set(needs.nodeId, { number: node, platformKey: needs.platformKey, wants: next });
    return { added, removed };
  }

  removeNode(nodeId: string): void {
    const prev = this.nodes.get(nodeId);
    if (prev === undefined) return;
    this.updateNode({ nodeId, platformKey: prev.platformKey, wants: [] });
    this.nodes.delete(nodeId);
  }

  /** What the platform's `$PKGDIR/Packages` holds (variant keys); those never enter the build list. */
  setHeld(platformKey: string, keys: Iterable<string>): void {
    const p = this.platform(platformKey);
    p.held.clear();
    p.heldByCpv.clear();
    p.sorted = null;
    for (const k of keys) this.markHeld(k);
  }

  markHeld(key: string): void {
    const [platformKey, cpv, use] = key.split("|") as [string, string, string];
    const p = this.platform(platformKey);
    if (p.held.has(key)) return;
    p.held.add(key);
    p.sorted = null;
    let uses = p.heldByCpv.get(cpv);
    if (uses === undefined) p.heldByCpv.set(cpv, (uses = []));
    uses.push(use === "" ? [] : use.split(","));
  }

  /** USE of every variant of a cpv the platform's binhost holds. */
  heldUses(platformKey: string, cpv: string): readonly (readonly string[])[] {
    return this.platforms.get(platformKey)?.heldByCpv.get(cpv) ?? [];
  }

  isHeld(key: string): boolean {
    return this.platforms.get(key.slice(0, key.indexOf("|")))?.held.has(key) ?? false;
  }

  /** Platform of a node known to the planner. */
  nodePlatform(nodeId: string): string | undefined {
    return this.nodes.get(nodeId)?.platformKey;
  }

  /** Variants some node would compile and the binhost lacks, dependencies first. Cached until something changes. */
  buildList(platformKey: string): BuildItem[] {
    const p = this.platforms.get(platformKey);
    if (p === undefined) return [];
    if (p.sorted === null) {
      const entries = [...p.variants].filter(([key]) => !p.held.has(key));
      // A dependency precedes its dependents in every node's merge list, so the earliest position orders them.
      entries.sort((a, b) => a[1].order - b[1].order || (a[0] < b[0] ? -1 : 1));
      p.sorted = entries.map(([key, e]) => buildItem(key, e, this.names));
    }
    return p.sorted;
  }

  /** The given variants that are in the build list, in build-list order, without computing the whole list. */
  inBuildOrder(platformKey: string, keys: readonly string[]): BuildItem[] {
    const p = this.platforms.get(platformKey);
    if (p === undefined) return [];
    const entries = keys.flatMap((key) => {
      const e = p.variants.get(key);
      return e === undefined || p.held.has(key) ? [] : [[key, e] as const];
    });
    entries.sort((a, b) => a[1].order - b[1].order || (a[0] < b[0] ? -1 : 1));
    return entries.map(([key, e]) => buildItem(key, e, this.names));
  }

  platformKeys(): string[] {
    return [...this.platforms.keys()].sort();
  }

  /** A stable key of what the node currently wants (to notify once per plan). */
  nodeNeedsKey(nodeId: string): string {
    return [...(this.nodes.get(nodeId)?.wants.keys() ?? [])].map((e) => e.key).sort().join("\n");
  }

  /** Whether everything the node would compile is on its binhost: then it can be told to emerge -g. */
  nodeCovered(nodeId: string): boolean {
    const n = this.nodes.get(nodeId);
    if (n === undefined) return false;
    const held = this.platform(n.platformKey).held;
    for (const e of n.wants.keys()) if (!held.has(e.key)) return false;
    return true;
  }
}
