/** One package variant: what is built once per platform and shared by every node that wants it. */
export interface Variant {
  readonly platformKey: string;
  readonly cpv: string;
  /** Enabled USE flags within IUSE, sorted (USE_EXPAND flags in flag form). */
  readonly use: readonly string[];
  /** The visible IUSE flags that are off, when a node's report told them (not part of the key). */
  readonly disabled?: readonly string[];
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
  readonly wantedBy: Set<string>;
  /** Merge position: emerge lists dependencies first, so building in this order builds them first. */
  readonly positions: Map<string, number>;
}

interface PlatformState {
  readonly variants: Map<string, VariantEntry>;
  readonly held: Set<string>;
  /** cpv → USE of each held variant: what explain compares a node's wish against. */
  readonly heldByCpv: Map<string, string[][]>;
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
      p = { variants: new Map(), held: new Set(), heldByCpv: new Map() };
      this.platforms.set(key, p);
    }
    return p;
  }

  /** Replaces a node's needs; returns the variant keys that appeared in or left the plan. */
  updateNode(needs: NodeNeeds): { added: string[]; removed: string[] } {
    const next = new Map<string, number>();
    const variants = new Map<string, Variant>();
    needs.wants.forEach((w, i) => {
      const v: Variant = { platformKey: needs.platformKey, cpv: w.cpv, use: [...w.use].sort(), ...(w.disabled === undefined ? {} : { disabled: [...w.disabled].sort() }) };
      const k = variantKey(v);
      if (!next.has(k)) {
        next.set(k, i);
        variants.set(k, v);
      }
    });
    const prev = this.nodes.get(needs.nodeId);
    const added: string[] = [];
    const removed: string[] = [];
    if (prev !== undefined) {
      const p = this.platform(prev.platformKey);
      for (const k of prev.keys.keys()) {
        if (prev.platformKey === needs.platformKey && next.has(k)) continue;
        const e = p.variants.get(k)!;
        e.wantedBy.delete(needs.nodeId);
        e.positions.delete(needs.nodeId);
        if (e.wantedBy.size === 0) {
          p.variants.delete(k);
          removed.push(k);
        }
      }
    }
    const p = this.platform(needs.platformKey);
    for (const [k, pos] of next) {
      let e = p.variants.get(k);
      if (e === undefined) {
        e = { variant: variants.get(k)!, wantedBy: new Set(), positions: new Map() };
        p.variants.set(k, e);
        added.push(k);
      }
      e.wantedBy.add(needs.nodeId);
      e.positions.set(needs.nodeId, pos);
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
    for (const k of keys) this.markHeld(k);
  }

  markHeld(key: string): void {
    const [platformKey, cpv, use] = key.split("|") as [string, string, string];
    const p = this.platform(platformKey);
    if (p.held.has(key)) return;
    p.held.add(key);
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

  /** Variants some node would compile and the binhost lacks, dependencies first. */
  buildList(platformKey: string): BuildItem[] {
    const p = this.platforms.get(platformKey);
    if (p === undefined) return [];
    const items: { item: BuildItem; order: number }[] = [];
    for (const [key, e] of p.variants) {
      if (p.held.has(key)) continue;
      // The earliest position any node gives it: a dependency precedes its dependents in every node's list.
      let order = Number.POSITIVE_INFINITY;
      for (const pos of e.positions.values()) if (pos < order) order = pos;
      items.push({ item: { key, variant: e.variant, wantedBy: [...e.wantedBy].sort() }, order });
    }
    return items.sort((a, b) => a.order - b.order || (a.item.key < b.item.key ? -1 : 1)).map((x) => x.item);
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
