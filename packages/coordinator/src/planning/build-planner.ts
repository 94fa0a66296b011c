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
 * The merge position each wanter gives is kept by the node (NodeRecord.positions), not beside its
 * number here: the growing pair arrays were most of what a full plan's scavenges copied.
 */
interface VariantEntry {
  readonly key: string;
  readonly variant: Variant;
  readonly shape: Shape;
  /**
   * The nodes that want it, sorted by node number (see BuildPlanner.names). Sorted, a node is
   * found by bisection; a new node has the highest number, so in a full plan every one is appended.
   */
  readonly wanters: number[];
  /**
   * The earliest merge position any node gives it (kept as nodes come and go): emerge lists
   * dependencies first, so building in this order builds them first.
   */
  order: number;
  /** The updateNode call that last saw it wanted, and its position in that call's wants (scratch state of that call). */
  mark: number;
  markPos: number;
  /** The updateNode call that found it in the node's previous wants, and the position it had there (scratch state too). */
  prevMark: number;
  prevPos: number;
}

interface NodeRecord {
  readonly number: number;
  readonly platformKey: string;
  /** The entries it wants, each once, in order of first occurrence. */
  readonly entries: readonly VariantEntry[];
  /** The merge position of each of `entries`: 32 bits are enough (a list of 2^31 wants would not fit in memory), and off the heap the scavenger does not copy them. */
  readonly positions: Int32Array;
}

/** Where `node` is in `wanters`, or where it would go (as a negative: -index - 1). */
function findWanter(wanters: readonly number[], node: number): number {
  let lo = 0;
  let hi = wanters.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const n = wanters[mid]!;
    if (n === node) return mid;
    if (n < node) lo = mid + 1;
    else hi = mid;
  }
  return -lo - 1;
}

interface PlatformState {
  readonly key: string;
  /** Its variant of each (cpv, USE) pair, by the pair's id. */
  readonly byShape: (VariantEntry | undefined)[];
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
      for (const n of w) out.push(this.#names[n]!);
      this.#wantedBy = out.sort();
    }
    return this.#wantedBy;
  }
}

/** Keys of one platform differ after the platform: the flat tail is compared, not the key, a cons string. */
const byKey = (a: VariantEntry, b: VariantEntry): number => (a.shape.tail < b.shape.tail ? -1 : 1);
const byOrderThenKey = (a: VariantEntry, b: VariantEntry): number => a.order - b.order || byKey(a, b);

/**
 * A platform's entries by order, then key (what byOrderThenKey sorts by), with no comparison
 * sort: read in key order from the pairs, then placed stably into buckets by order, which are
 * merge positions, small integers.
 */
function inListOrder(p: PlatformState, shapes: ShapeTable): VariantEntry[] {
  const held = p.held.size === 0 ? null : p.held;
  const live: VariantEntry[] = [];
  let max = 0;
  for (const s of shapes.inTailOrder()) {
    const e = p.byShape[s.id];
    if (e === undefined || held?.has(e.key)) continue;
    live.push(e);
    if (e.order > max) max = e.order;
  }
  const next = new Int32Array(max + 1);
  for (const e of live) next[e.order]!++;
  for (let o = 0, at = 0; o <= max; o++) {
    const n = next[o]!;
    next[o] = at;
    at += n;
  }
  const out = new Array<VariantEntry>(live.length);
  for (const e of live) out[next[e.order]!++] = e;
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
  /** Node records by number (undefined once removed). */
  private readonly records: (NodeRecord | undefined)[] = [];
  /** updateNode calls so far: each marks the entries it saw with its number. */
  private calls = 0;
  private readonly scratch: VariantEntry[] = [];
  private readonly shapes = new ShapeTable();

  private platform(key: string): PlatformState {
    let p = this.platforms.get(key);
    if (p === undefined) {
      p = { key, byShape: [], held: new Set(), heldByCpv: new Map(), heldChanges: 0, sorted: null };
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
    const prev = this.nodes.get(needs.nodeId);
    const node = prev?.number ?? this.names.push(needs.nodeId) - 1;
    const wants = needs.wants;
    for (let i = 0; i < wants.length; i++) {
      const w = wants[i]!;
      const use = sortedFlags(w.use);
      const shape = this.shapes.intern(w.cpv, use);
      let e = p.byShape[shape.id];
      if (e === undefined) {
        const variant: Variant = w.disabled === undefined ? { platformKey: p.key, cpv: shape.cpv, use: shape.use } : { platformKey: p.key, cpv: shape.cpv, use: shape.use, disabled: sortedFlags(w.disabled) };
        // Made with its first wanter: an empty array's first push reserves 17 slots, and most
        // variants have a few wanters (the ones with one wasted 7 MB of a full plan).
        e = { key: `${p.key}|${shape.tail}`, variant, shape, wanters: [node], order: i, mark: 0, markPos: 0, prevMark: 0, prevPos: 0 };
        p.byShape[shape.id] = e;
        this.shapes.hold(shape);
        added.push(e.key);
      }
      if (e.mark !== call) {
        e.mark = call;
        e.markPos = i;
        entries.push(e);
      }
    }
    if (prev !== undefined) {
      const pp = this.platform(prev.platformKey);
      for (let j = 0; j < prev.entries.length; j++) {
        const e = prev.entries[j]!;
        const pos = prev.positions[j]!;
        if (e.mark === call) {
          e.prevMark = call;
          e.prevPos = pos;
          continue;
        }
        e.wanters.splice(findWanter(e.wanters, node), 1);
        pp.sorted = null;
        if (e.wanters.length === 0) {
          pp.byShape[e.shape.id] = undefined;
          this.shapes.release(e.shape);
          removed.push(e.key);
        } else if (pos === e.order) {
          // The node that set the earliest position left: only this variant's order is recomputed.
          e.order = this.earliest(e, node);
        }
      }
    }
    const positions = new Int32Array(entries.length);
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!;
      const pos = e.markPos;
      positions[j] = pos;
      let before = -1;
      if (e.prevMark === call) before = e.prevPos;
      else if (e.wanters[0] !== node) {
        // Not made by this call (which put the node in): a node seen for the first time has the
        // highest number, it goes last, nothing to look up.
        if (prev === undefined) e.wanters.push(node);
        else e.wanters.splice(-findWanter(e.wanters, node) - 1, 0, node);
      }
      if (pos < e.order) e.order = pos;
      else if (before === e.order && pos > before) e.order = Math.min(pos, this.earliest(e, node));
      if (before !== pos) p.sorted = null;
    }
    const record: NodeRecord = { number: node, platformKey: needs.platformKey, entries: entries.slice(), positions };
    this.nodes.set(needs.nodeId, record);
    this.records[node] = record;
    entries.length = 0;
    return { added, removed };
  }

  /** The earliest merge position the wanters of `e` other than node `except` give it (Infinity if none). */
  private earliest(e: VariantEntry, except: number): number {
    let min = Infinity;
    for (const n of e.wanters) {
      if (n === except) continue;
      const r = this.records[n]!;
      const pos = r.positions[r.entries.indexOf(e)]!;
      if (pos < min) min = pos;
    }
    return min;
  }

  removeNode(nodeId: string): void {
    const prev = this.nodes.get(nodeId);
    if (prev === undefined) return;
    this.updateNode({ nodeId, platformKey: prev.platformKey, wants: [] });
    this.nodes.delete(nodeId);
    this.records[prev.number] = undefined;
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
      p.sorted = inListOrder(p, this.shapes).map((e) => new PlannedItem(e, this.names));
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
      const shape = this.shapes.find(key.slice(platformKey.length + 1));
      const e = shape === undefined ? undefined : p.byShape[shape.id];
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
