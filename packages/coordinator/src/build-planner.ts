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
  readonly variant: Variant;
  /**
   * The nodes that want it, each with its merge position: emerge lists dependencies first, so
   * building in this order builds them first.
   */
  readonly positions: Map<string, number>;
  /** The earliest position any node gives it (kept as nodes come and go). */
  order: number;
}

interface PlatformState {
  readonly variants: Map<string, VariantEntry>;
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
function buildItem(key: string, e: VariantEntry): BuildItem {
  let wantedBy: readonly string[] | null = null;
  return {
    key,
    variant: e.variant,
    get wantedBy() {
      wantedBy ??= [...e.positions.keys()].sort();
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
  private readonly nodes = new Map<string, { platformKey: string; keys: Map<string, number> }>();

  private platform(key: string): PlatformState {
    let p = this.platforms.get(key);
    if (p === undefined) {
      p = { variants: new Map(), held: new Set(), heldByCpv: new Map(), sorted: null };
      this.platforms.set(key, p);
    }
    return p;
  }

  /** Replaces a node's needs; returns the variant keys that appeared in or left the plan. */
  updateNode(needs: NodeNeeds): { added: string[]; removed: string[] } {
    // Variant key → merge position of its first occurrence; Variant objects are made only for new variants.
    const next = new Map<string, number>();
    needs.wants.forEach((w, i) => {
      const k = `${needs.platformKey}|${w.cpv}|${sortedFlags(w.use).join(",")}`;
      if (!next.has(k)) next.set(k, i);
    });
    const prev = this.nodes.get(needs.nodeId);
    const added: string[] = [];
    const removed: string[] = [];
    if (prev !== undefined) {
      const p = this.platform(prev.platformKey);
      for (const k of prev.keys.keys()) {
        if (prev.platformKey === needs.platformKey && next.has(k)) continue;
        const e = p.variants.get(k)!;
        const pos = e.positions.get(needs.nodeId);
        e.positions.delete(needs.nodeId);
        p.sorted = null;
        if (e.positions.size === 0) {
          p.variants.delete(k);
          removed.push(k);
        } else if (pos === e.order) {
          // The node that set the earliest position left: only this variant's order is recomputed.
          e.order = Math.min(...e.positions.values());
        }
      }
    }
    const p = this.platform(needs.platformKey);
    // A node seen for the first time is in no variant yet: nothing to look up before adding it.
    const known = prev !== undefined;
    for (const [k, pos] of next) {
      let e = p.variants.get(k);
      if (e === undefined) {
        const w = needs.wants[pos]!;
        const variant: Variant = { platformKey: needs.platformKey, cpv: w.cpv, use: sortedFlags(w.use), ...(w.disabled === undefined ? {} : { disabled: sortedFlags(w.disabled) }) };
        e = { variant, positions: new Map(), order: pos };
        p.variants.set(k, e);
        added.push(k);
      }
      const before = known ? e.positions.get(needs.nodeId) : undefined;
      e.positions.set(needs.nodeId, pos);
      if (pos < e.order) e.order = pos;
      else if (before === e.order && pos > before) e.order = Math.min(...e.positions.values());
      if (before !== pos) p.sorted = null;
    }
    this.nodes.set(needs.nodeId, { platformKey: needs.platformKey, keys: next });
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
      p.sorted = entries.map(([key, e]) => buildItem(key, e));
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
    return entries.map(([key, e]) => buildItem(key, e));
  }

  platformKeys(): string[] {
    return [...this.platforms.keys()].sort();
  }

  /** A stable key of what the node currently wants (to notify once per plan). */
  nodeNeedsKey(nodeId: string): string {
    return [...(this.nodes.get(nodeId)?.keys.keys() ?? [])].sort().join("\n");
  }

  /** Whether everything the node would compile is on its binhost: then it can be told to emerge -g. */
  nodeCovered(nodeId: string): boolean {
    const n = this.nodes.get(nodeId);
    if (n === undefined) return false;
    const held = this.platform(n.platformKey).held;
    for (const k of n.keys.keys()) if (!held.has(k)) return false;
    return true;
  }
}
