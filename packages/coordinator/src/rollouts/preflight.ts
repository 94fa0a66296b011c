import type { NodeRegistry } from "../ingest/node-registry.js";
import { type BuildPlanner, variantKey } from "../planning/build-planner.js";
import type { Preflight } from "./rollout-manager.js";

/** What a rollout would do to a node: binaries it would take, packages it would still compile, what it downloads. */
export function preflight(nodeId: string, registry: NodeRegistry, planner: BuildPlanner, binarySize: (variant: string) => number | undefined): Preflight {
  const n = registry.get(nodeId);
  if (n === undefined) return { binaryCount: 0, compileCount: 0, downloadBytes: 0 };
  let binaryCount = 0;
  let compileCount = 0;
  let downloadBytes = 0;
  for (const p of n.pending) {
    const key = variantKey({ platformKey: n.platformKey, cpv: p.cpv, use: p.use });
    if (p.binary) {
      binaryCount++;
      downloadBytes += p.downloadBytes;
    } else if (planner.isHeld(key)) {
      binaryCount++;
      downloadBytes += binarySize(key) ?? 0;
    } else compileCount++;
  }
  return { binaryCount, compileCount, downloadBytes };
}
