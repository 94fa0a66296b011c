import { type Shape, ShapeTable, sameFlags } from "./variant-shapes.js";

/** One package variant: what is built once per platform and shared by every node that wants it. */
export interface Variant {
  readonly platformKey: string;
  readonly cpv: string;
  /** Enabled USE flags within IUSE, sorted (USE_EXPAND flags in flag form). */
  readonly use: readonly string[];
  /** The visible IUSE flags that are off, when a node's report told them (not part of the key). */
  readonly disabled?: readonly string[];
}

/**
 * Flags sorted, without copying when they already are (agents and the registry send them sorted).
 * A short list is sorted by insertion (the same code-unit order): Array.prototype.sort allocates
 * a work area per call, which at fleet scale was a third of a full plan's garbage.
 */
function sortedFlags(flags: readonly string[]): readonly string[] {
  for (let i = 1; i < flags.length; i++) {
    if (flags[i - 1]! <= flags[i]!) continue;
    if (flags.length > 32) return [...flags].sort();
    const out = flags.slice();
    for (let j = i; j < out.length; j++) {
      const f = out[j]!;
      let k = j;
      for (; k > 0 && out[k - 1]! > f; k--) out[k] = out[k - 1]!;
      out[k] = f;
    }
    return out;
  }
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

/**
 * Wanters are kept in flat number arrays, not a Map per variant: a full plan of a large fleet adds
 * a million of them, and a Map each (plus one per node) made most of its time allocation and GC.
 */
interface VariantEntry {
  readonly key: string;
  readonly variant: Variant;
  readonly shape: Shape<VariantEntry>;
  /** Where it is in its platform's `entries`. */
  slot: number;
  /**
   * The nodes that want it, sorted by node number (see BuildPlanner.names): pairs of node number
   * and merge position (emerge lists dependencies first, so building in this order builds them
   * first). Sorted, a node's pair is found by bisection; a new node has the highest number, so in
   * a full plan every pair is appended.
   */
  readonly wanters: number[];
  /** The earliest position any node gives it (kept as nodes come and go). */
  order: number;
  /** The updateNode call that last saw it wanted, and its position in that call's wants (scratch state of that call). */
  mark: number;
  markPos: number;
}

interface NodeRecord {
  readonly number: number;
  readonly platformKey: string;
  /** The entries it wants, each once, in order of first occurrence. */
  readonly entries: readonly VariantEntry[];
}

/** Where node `node`'s pair is in `wanters`, or where it would go (as a negative: -index - 1). */
function findWanter(wanters: readonly number[], node: number): number {
  let lo = 0;
  let hi = wanters.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const n = wanters[mid << 1]!;
    if (n === node) return mid << 1;
    if (n < node) lo = mid + 1;
    else hi = mid;
  }
  return -(lo << 1) - 1;
}

interface PlatformState {
  readonly key: string;
  /** Its slot in every Shape's byPlatform. */
  readonly number: number;
  /** Its variants, in no particular order. */
  readonly entries: VariantEntry[];
  readonly held: Set<string>;
  /** The build list as last computed; null when a change since then may have altered it. */
  sorted: BuildItem[] | null;
  /** cpv → USE of each held variant: what explain compares a node's wish against. */
  readonly heldByCpv: Map<string, string[][]>;
  /** Changes to `held` so far. */
  heldChanges: number;
}

/**
 * A build-list item. Its node list is sorted when first read: a full plan of a large fleet has
 * hundreds of thousands of items, and most callers (queueing, counting) never read it. A class,
 * not an object literal with a getter: that made each item a closure and its own shape, most of
 * a full plan's garbage.
 */
class PlannedItem implements BuildItem {
  readonly key: string;
  readonly variant: Variant;
  readonly #entry: VariantEntry;
  readonly #names: readonly string[];
  #wantedBy: readonly string[] | null = null;

  constructor(entry: VariantEntry, names: readonly string[]) {
    this.key = entry.key;
    this.variant = entry.variant;
    this.#entry = entry;
    this.#names = names;
  }

  get wantedBy(): readonly string[] {
    if (this.#wantedBy === null) {
      const out: string[] = [];
      const w = this.#entry.wanters;
      for (let s = 0; s < w.length; s += 2) out.push(this.#names[w[s]!]!);
      this.#wantedBy = out.sort();
    }
    return this.#wantedBy;
  }
}

/** Keys of one platform differ after the platform: the flat tail is compared, not the key, a cons string. */
const byKey = (a: VariantEntry, b: VariantEntry): number => (a.shape.tail < b.shape.tail ? -1 : 1);
const byOrderThenKey = (a: VariantEntry, b: VariantEntry): number => a.order - b.order || byKey(a, b);

/** The earliest merge position among a variant's wanters. */
function earliest(wanters: readonly number[]): number {
  let min = Infinity;
  for (let s = 1; s < wanters.length; s += 2) if (wanters[s]! < min) min = wanters[s]!;
  return min;
}

/**
 * A platform's entries by order, then key (what byOrderThenKey sorts by): placed into buckets by
 * order, which are merge positions, small integers, then each bucket sorted by key. Sorting the
 * buckets (tens of entries each) instead of all keys at once makes a few times fewer key comparisons.
 */
function inListOrder(p: PlatformState): VariantEntry[] {
  const held = p.held.size === 0 ? null : p.held;
  const live: VariantEntry[] = [];
  let max = 0;
  for (const e of p.entries) {
    if (held?.has(e.key)) continue;
    live.push(e);
    if (e.order > max) max = e.order;
  }
  // start[o]: where bucket o begins in the output (a counting sort by order).
  const start = new Int32Array(max + 2);
  for (const e of live) start[e.order + 1]!++;
  for (let o = 1; o <= max + 1; o++) start[o]! += start[o - 1]!;
  const next = start.slice(0, max + 1);
  const out = new Array<VariantEntry>(live.length);
  for (const e of live) out[next[e.order]!++] = e;
  for (let o = 0; o <= max; o++) {
    const from = start[o]!;
    if (start[o + 1]! - from < 2) continue;
    const bucket = out.slice(from, start[o + 1]).sort(byKey);
    for (let i = 0; i < bucket.length; i++) out[from + i] = bucket[i]!;
  }
  return out;
}

/**
 * The deduplicated build list per platform, kept incrementally: a node's new
 * report only touches the variants that node added or dropped, so re-planning
 * after one report costs what that report changed, not the size of the fleet.
 */
export class BuildPlanner {
  private readonly platforms = new Map<string, PlatformState>();
  private readonly nodes = new Map<string, NodeRecord>();
  /** Node ids by number: variants refer to their nodes by a small number. Numbers are not reused; ids are few. */
  private readonly names: string[] = [];
  /** updateNode calls so far: each marks the entries it saw with its number. */
  private calls = 0;
  private readonly scratch: VariantEntry[] = [];
  private readonly shapes = new ShapeTable<VariantEntry>();

  private platform(key: string): PlatformState {
    let p = this.platforms.get(key);
    if (p === undefined) {
      p = { key, number: this.platforms.size, entries: [], held: new Set(), heldByCpv: new Map(), heldChanges: 0, sorted: null };
      this.platforms.set(key, p);
    }
    return p;
  }

  /** Replaces a node's needs; returns the variant keys that appeared in or left the plan. */
  updateNode(needs: NodeNeeds): { added: string[]; removed: string[] } {
    const call = ++this.calls;
    const p = this.platform(needs.platformKey);
    const added: string[] = [];
    const removed: string[] = [];
    // Each wanted entry once, at the merge position of its first occurrence; entries are made only
    // for new variants. Gathered in a scratch list, then copied at their exact size: grown
    // one by one, the per-node lists left as much garbage as they hold.
    const entries = this.scratch;
    entries.length = 0;
    const wants = needs.wants;
    for (let i = 0; i < wants.length; i++) {
      const w = wants[i]!;
      const use = sortedFlags(w.use);
      const shape = this.shapes.intern(w.cpv, use);
      let e = shape.byPlatform[p.number];
      if (e === undefined) {
        const variant: Variant = w.disabled === undefined ? { platformKey: p.key, cpv: shape.cpv, use: shape.use } : { platformKey: p.key, cpv: shape.cpv, use: shape.use, disabled: sortedFlags(w.disabled) };
        e = { key: `${p.key}|${shape.tail}`, variant, shape, slot: p.entries.length, wanters: [], order: i, mark: 0, markPos: 0 };
        p.entries.push(e);
        this.shapes.set(shape, p.number, e);
        added.push(e.key);
      }
      if (e.mark !== call) {
        e.mark = call;
        e.markPos = i;
        entries.push(e);
      }
    }
    const prev = this.nodes.get(needs.nodeId);
    const node = prev?.number ?? this.names.push(needs.nodeId) - 1;
    if (prev !== undefined) {
      const pp = this.platform(prev.platformKey);
      for (const e of prev.entries) {
        if (e.mark === call) continue;
        const at = findWanter(e.wanters, node);
        const pos = e.wanters[at + 1]!;
        e.wanters.splice(at, 2);
        pp.sorted = null;
        if (e.wanters.length === 0) {
          const last = pp.entries.pop()!;
          if (last !== e) {
            pp.entries[e.slot] = last;
            last.slot = e.slot;
          }
          this.shapes.set(e.shape, pp.number, undefined);
          removed.push(e.key);
        } else if (pos === e.order) {
          // The node that set the earliest position left: only this variant's order is recomputed.
          e.order = earliest(e.wanters);
        }
      }
    }
    for (const e of entries) {
      const pos = e.markPos;
      // A node seen for the first time has the highest number: its pairs go last, nothing to look up.
      const at = prev === undefined ? -e.wanters.length - 1 : findWanter(e.wanters, node);
      let before = -1;
      if (at === -e.wanters.length - 1) e.wanters.push(node, pos);
      else if (at < 0) e.wanters.splice(-at - 1, 0, node, pos);
      else {
        before = e.wanters[at + 1]!;
        e.wanters[at + 1] = pos;
      }
      if (pos < e.order) e.order = pos;
      else if (before === e.order && pos > before) e.order = earliest(e.wanters);
      if (before !== pos) p.sorted = null;
    }
    this.nodes.set(needs.nodeId, { number: node, platformKey: needs.platformKey, entries: entries.slice() });
    entries.length = 0;
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
    p.heldChanges++;
    p.held.clear();
    p.heldByCpv.clear();
    p.sorted = null;
    for (const k of keys) this.markHeld(k);
  }

  markHeld(key: string): void {
    const [platformKey, cpv, use] = key.split("|") as [string, string, string];
    const p = this.platform(platformKey);
    if (p.held.has(key)) return;
    p.heldChanges++;
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

  /** Changes whenever what the platform's binhost holds may have changed: what was derived from isHeld is stale then. */
  heldVersion(platformKey: string): number {
    return this.platforms.get(platformKey)?.heldChanges ?? 0;
  }

  isHeld(key: string): boolean {
    return this.platforms.get(key.slice(0, key.indexOf("|")))?.held.has(key) ?? false;
  }

  /**
   * isHeld(variantKey(v)) without building the key: ListNodes asks this for every pending package
   * of every node (a million at 10,000 nodes), and hashing that many fresh key strings took seconds.
   */
  isVariantHeld(v: Variant): boolean {
    const uses = this.platforms.get(v.platformKey)?.heldByCpv.get(v.cpv);
    return uses !== undefined && uses.some((u) => sameFlags(u, v.use));
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
      // A dependency precedes its dependents in every node's merge list, so the earliest position orders them.
      p.sorted = inListOrder(p).map((e) => new PlannedItem(e, this.names));
    }
    return p.sorted;
  }

  /** The given variants that are in the build list, in build-list order, without computing the whole list. */
  inBuildOrder(platformKey: string, keys: readonly string[]): BuildItem[] {
    const p = this.platforms.get(platformKey);
    if (p === undefined) return [];
    const entries: VariantEntry[] = [];
    for (const key of keys) {
      if (!key.startsWith(platformKey) || key[platformKey.length] !== "|") continue;
      const e = this.shapes.find(key.slice(platformKey.length + 1))?.byPlatform[p.number];
      if (e !== undefined && !p.held.has(key)) entries.push(e);
    }
    entries.sort(byOrderThenKey);
    return entries.map((e) => new PlannedItem(e, this.names));
  }

  platformKeys(): string[] {
    return [...this.platforms.keys()].sort();
  }

  /** A stable key of what the node currently wants (to notify once per plan). */
  nodeNeedsKey(nodeId: string): string {
    return (this.nodes.get(nodeId)?.entries ?? []).map((e) => e.key).sort().join("\n");
  }

  /** Whether everything the node would compile is on its binhost: then it can be told to emerge -g. */
  nodeCovered(nodeId: string): boolean {
    const n = this.nodes.get(nodeId);
    if (n === undefined) return false;
    const held = this.platform(n.platformKey).held;
    for (const e of n.entries) if (!held.has(e.key)) return false;
    return true;
  }
}
