import { type Atom, atomMatches, parseCpv } from "@binfleet/shared";
import { variantKey } from "./build-planner.js";
import type { NodeRecord } from "../ingest/node-registry.js";

export type ExplanationReason = "binary" | "binary-available" | "no-binary" | "use-differs" | "held" | "no-builder" | "snapshot-behind" | "not-pending";

export interface Explanation {
  readonly cpv: string;
  readonly reason: ExplanationReason;
  /** `+ssl`: the node wants ssl and the closest binary lacks it; `-ssl`: the binary has it, the node does not. */
  readonly differingFlags: readonly string[];
  readonly detail: string;
}

/** What explain needs to know about the binhost and policy; the coordinator provides it. */
export interface ExplainContext {
  hasBuilder(platformKey: string): boolean;
  /** The hold that keeps a package from being built on the platform, if any. */
  holdFor(platformKey: string, cpv: string): { atom: string; reason: string } | null;
  /** USE of every variant of the cpv on the platform's binhost. */
  binhostUses(platformKey: string, cpv: string): readonly (readonly string[])[];
  /** Where the node's variant stands in the build pipeline ("waiting for approval", "queued", …). */
  buildStatus(variantKey: string): string;
  /** The snapshot id builders use for the main repository ("" when unknown). */
  builderSnapshot(platformKey: string): string;
}

/** The flags that separate two USE sets, `+f` for the wanted side, `-f` for the binary side. */
export function useDifference(wanted: readonly string[], binary: readonly string[]): string[] {
  const w = new Set(wanted);
  const b = new Set(binary);
  return [...[...w].filter((f) => !b.has(f)).map((f) => `+${f}`), ...[...b].filter((f) => !w.has(f)).map((f) => `-${f}`)].sort((x, y) =>
    x.slice(1) < y.slice(1) ? -1 : x.slice(1) > y.slice(1) ? 1 : 0,
  );
}

/**
 * Why a node would still compile what it would compile: the question every
 * binhost user asks ("why is it building firefox again?"). One explanation per
 * pending package, or per package matching `atom`.
 */
export function explainNode(node: NodeRecord, ctx: ExplainContext, atom: Atom | null): Explanation[] {
  const pending = atom === null ? node.pending : node.pending.filter((p) => atomMatches(atom, { cpv: parseCpv(p.cpv) }));
  if (atom !== null && pending.length === 0) {
    return [{ cpv: atom.cp, reason: "not-pending", differingFlags: [], detail: `${node.nodeId}'s pending update does not include ${atom.raw}: it is current, or not in its world` }];
  }
  const builderSnapshot = ctx.builderSnapshot(node.platformKey);
  return pending.map((p): Explanation => {
    if (p.binary) return { cpv: p.cpv, reason: "binary", differingFlags: [], detail: "emerge -g takes the binary package" };
    if (!ctx.hasBuilder(node.platformKey)) {
      return { cpv: p.cpv, reason: "no-builder", differingFlags: [], detail: `no builder is configured for platform ${node.platformKey}` };
    }
    const hold = ctx.holdFor(node.platformKey, p.cpv);
    if (hold !== null) return { cpv: p.cpv, reason: "held", differingFlags: [], detail: `held by policy (${hold.atom})${hold.reason === "" ? "" : `: ${hold.reason}`}` };
    if (builderSnapshot !== "" && node.snapshotId !== "" && node.snapshotId !== builderSnapshot) {
      return { cpv: p.cpv, reason: "snapshot-behind", differingFlags: [], detail: `node is on snapshot ${node.snapshotId}, builders on ${builderSnapshot}: sync first` };
    }
    const uses = ctx.binhostUses(node.platformKey, p.cpv);
    const key = variantKey({ platformKey: node.platformKey, cpv: p.cpv, use: p.use });
    if (uses.some((u) => u.join(",") === p.use.join(","))) {
      return { cpv: p.cpv, reason: "binary-available", differingFlags: [], detail: "the binary is on the binhost; the node has not updated since it was built" };
    }
    const status = ctx.buildStatus(key);
    if (uses.length === 0) return { cpv: p.cpv, reason: "no-binary", differingFlags: [], detail: `no binary of ${p.cpv} on the binhost yet; its build is ${status}` };
    // The closest binary: fewest differing flags, then the first one.
    let best = useDifference(p.use, uses[0]!);
    for (const u of uses.slice(1)) {
      const d = useDifference(p.use, u);
      if (d.length < best.length) best = d;
    }
    return {
      cpv: p.cpv,
      reason: "use-differs",
      differingFlags: best,
      detail: `the binhost has ${p.cpv} built with other USE (${best.join(" ")} on the node's side); this node's variant is ${status}`,
    };
  });
}
