import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { NodeSummarySchema } from "@binfleet/shared/wire";
import { summarizeFleet } from "./fleet-summary.js";

const node = (platformKey: string, platformName: string, state: string, pendingBinary: number, pendingCompile: number) => create(NodeSummarySchema, { nodeId: `n${Math.random()}`, platformKey, platformName, state, pendingBinary, pendingCompile });

test("counts per platform and in total agree with the node rows", () => {
  const s = summarizeFleet([node("k2", "b", "current", 0, 0), node("k1", "a", "pending", 3, 1), node("k1", "a", "stale", 2, 0), node("k2", "b", "platform-changed", 0, 4)]);
  assert.deepEqual(
    s.platforms.map((p) => p.name),
    ["a", "b"],
  );
  const a = s.platforms[0]!;
  assert.equal(a.nodes, 2);
  assert.equal(a.pendingBinaryNodes, 2);
  assert.equal(a.pendingBinaries, 5);
  assert.equal(a.compileNodes, 1);
  assert.equal(a.stale, 1);
  assert.equal(s.total.nodes, 4);
  assert.equal(s.total.current, 1);
  assert.equal(s.total.compiles, 5);
  assert.equal(s.total.platformChanged, 1);
});

test("an empty fleet is all zero", () => {
  const s = summarizeFleet([]);
  assert.equal(s.total.nodes, 0);
  assert.deepEqual(s.platforms, []);
});
