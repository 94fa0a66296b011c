import { parseCpv } from "@binfleet/shared";
import { useDifference } from "./explain.js";

export interface DriftEntry {
  /** category/package */
  readonly cp: string;
  /** How the deviating nodes differ from the fleet's most common USE: `+f` they add, `-f` they drop. */
  readonly flags: readonly string[];
  readonly nodeCount: number;
  /** Variants that exist only because of this deviation (one per version involved). */
  readonly extraVariants: number;
}

/**
 * USE drift on one platform: for every installed package, the fleet's most
 * common USE is the baseline; every other USE set is a deviation that costs one
 * extra binary per version. Aligning those flags (or accepting them in the
 * builder's package.use) raises the binary hit rate.
 */
export class UseDriftAnalyzer {
  /** cpv → USE (joined) → nodes */
  private readonly variants = new Map<string, Map<string, Set<string>>>();

  add(nodeId: string, installed: readonly { readonly cpv: string; readonly use: readonly string[]; readonly iuse: readonly string[] }[]): void {
    for (const p of installed) {
      const iuse = new Set(p.iuse.map((f) => f.replace(/^[+-]/, "")));
      const use = p.use.filter((f) => iuse.has(f)).sort().join(",");
      let byUse = this.variants.get(p.cpv);
      if (byUse === undefined) this.variants.set(p.cpv, (byUse = new Map()));
      let nodes = byUse.get(use);
      if (nodes === undefined) byUse.set(use, (nodes = new Set()));
      nodes.add(nodeId);
    }
  }

  /** Deviations, costliest first. */
  result(): DriftEntry[] {
    const acc = new Map<string, { cp: string; flags: string[]; nodes: Set<string>; variants: number }>();
    for (const [cpv, byUse] of this.variants) {
      if (byUse.size < 2) continue;
      const ranked = [...byUse].sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1));
      const baseline = ranked[0]![0].split(",").filter((f) => f !== "");
      const cp = parseCpv(cpv).cp;
      for (const [use, nodes] of ranked.slice(1)) {
        const flags = useDifference(use.split(",").filter((f) => f !== ""), baseline);
        const k = `${cp} ${flags.join(" ")}`;
        let e = acc.get(k);
        if (e === undefined) acc.set(k, (e = { cp, flags, nodes: new Set(), variants: 0 }));
        e.variants++;
        for (const n of nodes) e.nodes.add(n);
      }
    }
    return [...acc.values()]
      .map((e) => ({ cp: e.cp, flags: e.flags, nodeCount: e.nodes.size, extraVariants: e.variants }))
      .sort((a, b) => b.extraVariants - a.extraVariants || b.nodeCount - a.nodeCount || (a.cp < b.cp ? -1 : a.cp > b.cp ? 1 : 0));
  }
}
