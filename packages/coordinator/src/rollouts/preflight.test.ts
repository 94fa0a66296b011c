import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { reportPlatform } from "@binfleet/shared/testing";
import { AgentReportSchema, MergeKind } from "@binfleet/shared/wire";
import { NodeRegistry } from "../ingest/node-registry.js";
import { BuildPlanner, variantKey } from "../planning/build-planner.js";
import { Preflights } from "./preflight.js";

function fleetOfOne() {
  const platform = reportPlatform({ arch: "amd64" });
  const registry = new NodeRegistry(60_000);
  registry.report(
    create(AgentReportSchema, {
      nodeId: "n1",
      platform,
      plan: [
        { kind: MergeKind.BINARY, cpv: "a/bin-1", downloadBytes: 100n },
        { kind: MergeKind.EBUILD, cpv: "a/held-1", use: ["ssl", "acl"] },
        { kind: MergeKind.EBUILD, cpv: "a/held-1", use: ["ssl"] },
        { kind: MergeKind.EBUILD, cpv: "a/compile-1" },
      ],
    }),
    Date.now(),
  );
  const planner = new BuildPlanner();
  const held = variantKey({ platformKey: platform.key, cpv: "a/held-1", use: ["acl", "ssl"] });
  planner.setHeld(platform.key, [held]);
  const sizes = new Map([[held, 40]]);
  const preflights = new Preflights(registry, planner, (k) => sizes.get(k));
  assert.deepEqual(preflights.of("n1"), { binaryCount: 2, compileCount: 2, downloadBytes: 140 });
  assert.deepEqual(preflights.of("nobody"), { binaryCount: 0, compileCount: 0, downloadBytes: 0 });
  return { registry, planner, preflights, sizes, platform };
}

test("a node's binaries are those its plan fetches and those the binhost holds; the rest it compiles", () => {
  fleetOfOne();
});

test("a kept pre-flight is recomputed once the node reports again or the binhost's holdings change", () => {
  const { registry, planner, preflights, sizes, platform } = fleetOfOne();
  const compile = variantKey({ platformKey: platform.key, cpv: "a/compile-1", use: [] });
  sizes.set(compile, 7);
  planner.markHeld(compile);
  assert.deepEqual(preflights.of("n1"), { binaryCount: 3, compileCount: 1, downloadBytes: 147 });
  registry.report(create(AgentReportSchema, { nodeId: "n1", platform, plan: [{ kind: MergeKind.EBUILD, cpv: "a/other-1" }] }), Date.now());
  assert.deepEqual(preflights.of("n1"), { binaryCount: 0, compileCount: 1, downloadBytes: 0 });
});
