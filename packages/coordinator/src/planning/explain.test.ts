import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAtom } from "@binfleet/shared";
import { type ExplainContext, explainNode, useDifference } from "./explain.js";
import type { NodeRecord } from "../ingest/node-registry.js";

const node = (pending: NodeRecord["pending"]): NodeRecord => ({
  nodeId: "n1",
  platformKey: "amd64-abc",
  platform: undefined,
  snapshotId: "s1",
  reportedAt: 0,
  receivedAt: 0,
  pending,
  planError: "",
  heartbeatAt: 0,
  agentState: "running",
  lastOutcome: null,
});

const ctx = (o: Partial<ExplainContext> = {}): ExplainContext => ({
  hasBuilder: () => true,
  holdFor: () => null,
  binhostUses: () => [],
  buildStatus: () => "waiting for approval",
  builderSnapshot: () => "",
  ...o,
});

test("useDifference: + for the node's side, - for the binary's, sorted by flag", () => {
  assert.deepEqual(useDifference(["ssl", "zstd"], ["X", "ssl"]), ["-X", "+zstd"]);
  assert.deepEqual(useDifference([], []), []);
});

test("explains each pending package: binary, available, held, no builder, snapshot, no binary, USE differs", () => {
  const n = node([
    { cpv: "app-misc/a-1", use: [], disabled: [], binary: true, downloadBytes: 5 },
    { cpv: "app-misc/b-1", use: ["ssl"], disabled: [], binary: false, downloadBytes: 0 },
    { cpv: "app-misc/c-1", use: ["ssl", "zstd"], disabled: [], binary: false, downloadBytes: 0 },
    { cpv: "app-misc/d-1", use: [], disabled: [], binary: false, downloadBytes: 0 },
  ]);
  const uses: Record<string, string[][]> = { "app-misc/b-1": [["ssl"]], "app-misc/c-1": [["ssl", "X", "gtk"], ["ssl"]] };
  const got = explainNode(n, ctx({ binhostUses: (_, cpv) => uses[cpv] ?? [] }), null);
  assert.deepEqual(
    got.map((e) => [e.cpv, e.reason, e.differingFlags]),
    [
      ["app-misc/a-1", "binary", []],
      ["app-misc/b-1", "binary-available", []],
      ["app-misc/c-1", "use-differs", ["+zstd"]],
      ["app-misc/d-1", "no-binary", []],
    ],
  );
  assert.match(got[2]!.detail, /waiting for approval/);
  const held = explainNode(n, ctx({ holdFor: () => ({ atom: "app-misc/d", reason: "breaks X" }) }), parseAtom("app-misc/d"));
  assert.deepEqual(held.map((e) => [e.reason, e.detail]), [["held", "held by policy (app-misc/d): breaks X"]]);
  assert.equal(explainNode(n, ctx({ hasBuilder: () => false }), parseAtom("app-misc/d"))[0]!.reason, "no-builder");
  assert.equal(explainNode(n, ctx({ builderSnapshot: () => "s2" }), parseAtom("app-misc/d"))[0]!.reason, "snapshot-behind");
});

test("an atom the node does not have pending says so", () => {
  const got = explainNode(node([]), ctx(), parseAtom(">=www-client/firefox-120"));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.reason, "not-pending");
  assert.match(got[0]!.detail, />=www-client\/firefox-120/);
});
