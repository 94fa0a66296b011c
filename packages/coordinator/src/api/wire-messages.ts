import type { MessageInitShape } from "@bufbuild/protobuf";
import { BuildState, type BuildSummarySchema, type RolloutSchema } from "@binfleet/shared/wire";
import { type BuildRecord, recordKey } from "../builders/builder-worker.js";
import type { PlanEntry } from "../planning/build-queue.js";
import type { Rollout } from "../rollouts/rollout-manager.js";

/** Replies are capped too: a 10,000-node plan's local compiles are summarized past this many rows. */
export const MAX_ROWS = 20_000;

export const STATE_OF: Record<PlanEntry["state"] | BuildRecord["state"], BuildState> = {
  "waiting-approval": BuildState.WAITING_APPROVAL,
  queued: BuildState.QUEUED,
  running: BuildState.RUNNING,
  succeeded: BuildState.SUCCEEDED,
  failed: BuildState.FAILED,
};

/** A rollout on the wire; without its node list (`withNodes` false) it still carries each state's count. */
export function rolloutMessage(r: Rollout, withNodes = true): MessageInitShape<typeof RolloutSchema> {
  const o = r.options;
  const nodeStates: Record<string, number> = {};
  for (const n of r.nodes) nodeStates[n.state] = (nodeStates[n.state] ?? 0) + 1;
  return {
    id: r.id,
    options: { platformKey: o.platformKey, canary: o.canary, maxInFlight: o.maxInFlight, maxFailurePercent: o.maxFailurePercent, window: o.window, dryRun: r.reason === "dry run", purpose: o.purpose ?? "" },
    state: r.state,
    reason: r.reason,
    startedAtUnixMs: BigInt(r.startedAt),
    updatedAtUnixMs: BigInt(r.updatedAt),
    nodeStates,
    nodes: (withNodes ? r.nodes : []).map((n) => ({ nodeId: n.nodeId, state: n.state, canary: n.canary, binaryCount: n.binaryCount, compileCount: n.compileCount, downloadBytes: BigInt(n.downloadBytes), error: n.error, atoms: [...(n.atoms ?? [])] })),
  };
}

export function recordSummary(r: BuildRecord): MessageInitShape<typeof BuildSummarySchema> {
  const [platformKey, cpv, use] = r.key.split("|") as [string, string, string];
  return {
    job: { id: recordKey(r.key), platformKey, cpv, use: use === "" ? [] : use.split(","), attempt: r.attempt },
    result: { jobId: recordKey(r.key), state: STATE_OF[r.state], builder: r.builder, startedAtUnixMs: BigInt(r.startedAt), finishedAtUnixMs: BigInt(r.finishedAt), logTail: [...r.logTail], error: r.error },
  };
}
