/**
 * One (cpv, USE) pair, shared by every platform's variant of it. Nodes want the same few pairs
 * over and over (a full plan of 10,000 nodes has 1.2 million wants and 7,000 pairs): a want is
 * matched against the pairs of its cpv once, and its platform's variant is then the slot `id`
 * of that platform's array.
 */
export interface Shape {
  /** Small, reused once the pair is dropped: an index into each platform's array of variants. */
  readonly id: number;
  readonly cpv: string;
  /** Sorted. */
  readonly use: readonly string[];
  /**
   * `cpv|use`: a variant key without its platform. Joined, so a flat string: keys of one platform
   * are ordered by it, and a cons string is walked again by every comparison of a sort.
   */
  readonly tail: string;
  /** How many platforms have a variant of it: the pair is dropped when none has. */
  platforms: number;
}

/** Same flags in the same order. */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The pairs some platform has a variant of, by cpv. */
export class ShapeTable {
  private readonly byCpv = new Map<string, Shape[]>();
  /** Every pair by tail, as last sorted; null when a pair was made or dropped since. */
  private ordered: Shape[] | null = null;
  /** Ids handed out so far, and those of dropped pairs, to hand out again. */
  private ids = 0;
  private readonly freeIds: number[] = [];

  /** The pair of `cpv` and `use` (sorted), made on first use. */
  intern(cpv: string, use: readonly string[]): Shape {
    let same = this.byCpv.get(cpv);
    if (same === undefined) this.byCpv.set(cpv, (same = []));
    for (const s of same) if (s.use === use || sameFlags(s.use, use)) return s;
    const id = this.freeIds.pop() ?? this.ids++;
    const s: Shape = { id, cpv, use, tail: [cpv, use.join(",")].join("|"), platforms: 0 };
    same.push(s);
    this.ordered = null;
    return s;
  }

  /** The pair whose tail (a key without its platform) is `tail`, if some platform has a variant of it. */
  find(tail: string): Shape | undefined {
    const same = this.byCpv.get(tail.slice(0, tail.indexOf("|")));
    return same?.find((s) => s.tail === tail);
  }

  /** A platform now has a variant of the pair. */
  hold(shape: Shape): void {
    shape.platforms++;
  }

  /** A platform no longer has its variant of the pair; a pair no platform has is dropped. */
  release(shape: Shape): void {
    if (--shape.platforms > 0) return;
    const same = this.byCpv.get(shape.cpv);
    const at = same?.indexOf(shape) ?? -1;
    if (same === undefined || at < 0) return;
    same.splice(at, 1);
    if (same.length === 0) this.byCpv.delete(shape.cpv);
    this.freeIds.push(shape.id);
    this.ordered = null;
  }

  /**
   * Every pair, by tail: a platform's variants read in this order are in key order, so a build
   * list needs no sort by key of its own (a full plan sorted 142,000 keys, 20 platforms × 7,100,
   * where the pairs are 7,100 in all). Sorted again only after a pair was made or dropped.
   */
  inTailOrder(): readonly Shape[] {
    if (this.ordered === null) {
      const all: Shape[] = [];
      for (const same of this.byCpv.values()) for (const s of same) all.push(s);
      this.ordered = all.sort((a, b) => (a.tail < b.tail ? -1 : 1));
    }
    return this.ordered;
  }
}
