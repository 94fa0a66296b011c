import type { NodeRegistry, PendingMerge } from "../ingest/node-registry.js";
import { type BuildPlanner, variantKey } from "../planning/build-planner.js";
import type { Preflight } from "./rollout-manager.js";

type BinarySize = (variant: string) => number | undefined;

function preflightOf(platformKey: string, pending: readonly PendingMerge[], planner: BuildPlanner, binarySize: BinarySize): Preflight {
  let binaryCount = 0;
  let compileCount = 0;
  let downloadBytes = 0;
  for (const p of pending) {
    const variant = { platformKey, cpv: p.cpv, use: p.use };
    if (p.binary) {
      binaryCount++;
      downloadBytes += p.downloadBytes;
    } else if (planner.isVariantHeld(variant)) {
      binaryCount++;
      downloadBytes += binarySize(variantKey(variant)) ?? 0;
    } else compileCount++;
  }
  return { binaryCount, compileCount, downloadBytes };
}

/**
 * What a rollout would do to a node: binaries it would take, packages it would still compile,
 * what it downloads. Kept until the node reports again (a report replaces its pending list) or
 * what its platform's binhost holds changes (binary sizes are read just before that). ListNodes
 * shows every node's numbers on each call, the dashboard's fleet page on every view: at 10,000
 * nodes recomputing them all was a million lookups per call, most of a second.
 */
export class Preflights {
  private readonly memo = new WeakMap<readonly PendingMerge[], { held: number; result: Preflight }>();

  constructor(
    private readonly registry: NodeRegistry,
    private readonly planner: BuildPlanner,
    private readonly binarySize: BinarySize,
  ) {}

  of(nodeId: string): Preflight {
    const n = this.registry.get(nodeId);
    if (n === undefined) return { binaryCount: 0, compileCount: 0, downloadBytes: 0 };
    const held = this.planner.heldVersion(n.platformKey);
    const known = this.memo.get(n.pending);
    if (known !== undefined && known.held === held) return { ...known.result };
    const result = preflightOf(n.platformKey, n.pending, this.planner, this.binarySize);
    this.memo.set(n.pending, { held, result });
    return { ...result };
  }
}
