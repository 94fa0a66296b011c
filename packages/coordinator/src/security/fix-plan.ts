import { tryParseCpv } from "@binfleet/shared";
import type { PendingMerge } from "../ingest/node-registry.js";
import { type Variant, variantKey } from "../planning/build-planner.js";
import type { InstalledEntry } from "./exposure-evaluator.js";
import type { ExposureRecord } from "./glsa-store.js";

/** What planning a fix reads of the fleet. */
export interface FixPlanSource {
  /** Whether binfleet builds for the platform (otherwise its nodes compile the fix). */
  hasBuilder(platformKey: string): boolean;
  /** The node's pending plan, from its latest report. */
  pending(node: string): readonly PendingMerge[];
  /** What the node has installed of the packages advisories name. */
  installed(node: string): readonly InstalledEntry[];
  /** IUSE (with `+`/`-` defaults) of an ebuild the platform's builders can install. */
  iuse(platformKey: string, cpv: string): readonly string[] | undefined;
}

export interface FixPlan {
  /** Per node to update: the atoms it emerges and the variant keys it waits for (none without a builder). */
  readonly nodes: Readonly<Record<string, { readonly atoms: readonly string[]; readonly variants: readonly string[] }>>;
  /** Each variant to build once, with the nodes that take it (sorted). */
  readonly builds: readonly { readonly key: string; readonly variant: Variant; readonly wantedBy: readonly string[] }[];
  /** Exposed nodes no visible version fixes. */
  readonly unfixable: readonly string[];
}

const cpOf = (cpv: string): string => tryParseCpv(cpv)?.cp ?? "";
const flagName = (f: string): string => f.replace(/^[+-]/, "");

/**
 * What fixing an advisory takes: each exposed node updates exactly the least upgrades of its
 * vulnerable versions (`=cat/pkg-VERSION`), and each of those is built once per platform variant.
 * A node's variant is the USE it would build the fixed version with: the flags of that version on
 * its pending plan when it is there; else those of the package's pending version, or of its
 * installed vulnerable version, limited to the fixed version's IUSE (a flag new in it takes its
 * IUSE default). With every IUSE flag set on or off, the builder needs no other guess.
 */
export function planFix(exposures: readonly ExposureRecord[], source: FixPlanSource): FixPlan {
  const nodes: Record<string, { atoms: string[]; variants: string[] }> = {};
  const builds = new Map<string, { key: string; variant: Variant; wantedBy: string[] }>();
  const unfixable: string[] = [];
  for (const e of exposures) {
    const fixed = [...new Set(e.packages.map((p) => p.fixed).filter((f) => f !== ""))].sort();
    if (fixed.length === 0) {
      unfixable.push(e.node);
      continue;
    }
    const keys: string[] = [];
    if (source.hasBuilder(e.platformKey)) {
      for (const cpv of fixed) {
        const variant = variantFor(e.platformKey, cpv, source.pending(e.node), source.installed(e.node), source.iuse(e.platformKey, cpv));
        const key = variantKey(variant);
        const b = builds.get(key);
        if (b === undefined) builds.set(key, { key, variant, wantedBy: [e.node] });
        else b.wantedBy.push(e.node);
        keys.push(key);
      }
    }
    nodes[e.node] = { atoms: fixed.map((cpv) => `=${cpv}`), variants: keys };
  }
  return { nodes, builds: [...builds.values()].map((b) => ({ ...b, wantedBy: b.wantedBy.sort() })), unfixable: unfixable.sort() };
}

function variantFor(platformKey: string, cpv: string, pending: readonly PendingMerge[], installed: readonly InstalledEntry[], iuse: readonly string[] | undefined): Variant {
  const exact = pending.find((p) => p.cpv === cpv);
  if (exact !== undefined) return { platformKey, cpv, use: exact.use, disabled: exact.disabled };
  const cp = cpOf(cpv);
  const planned = pending.find((p) => cpOf(p.cpv) === cp);
  const had = installed.find((i) => cpOf(i.cpv) === cp);
  const hadIuse = new Set((had?.iuse ?? []).map(flagName));
  const on = new Set(planned?.use ?? (had === undefined ? [] : had.use.filter((f) => hadIuse.has(f))));
  if (iuse === undefined) return { platformKey, cpv, use: [...on].sort() };
  const names = iuse.map(flagName);
  // A flag the node never had a say on (new in this version) takes its IUSE default.
  for (const f of iuse) if (f.startsWith("+") && planned === undefined && !hadIuse.has(flagName(f))) on.add(flagName(f));
  return { platformKey, cpv, use: names.filter((f) => on.has(f)).sort(), disabled: names.filter((f) => !on.has(f)).sort() };
}
