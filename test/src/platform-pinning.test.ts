import { subjects } from "@binfleet/bus";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Coordinator, adminTokenFile } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { reportPlatform } from "@binfleet/shared/testing";
import { AgentReportSchema, MergeKind } from "@binfleet/shared/wire";
import { startQuietCoordinator } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

describe("a node is pinned to its platform: it cannot add variants for a platform it is not on", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;
  let onBuilder: ReturnType<typeof reportPlatform>;
  let elsewhere: ReturnType<typeof reportPlatform>;
  let generatedAt = Date.now();

  const report = (platform: ReturnType<typeof reportPlatform>, cpv: string, nodeId = "node-a"): Uint8Array =>
    toBinary(AgentReportSchema, create(AgentReportSchema, { nodeId, generatedAtUnixMs: BigInt(++generatedAt), platform, plan: [{ kind: MergeKind.EBUILD, cpv, use: [], useDisabled: [] }] }));
  const cli = (...args: string[]) => runProgram("binfleet", ["--server", c.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "--json", ...args], { reject: false });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-pin-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 21, out: join(tmp, "fleet") });
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!);
    onBuilder = { ...fleet.platforms[0]!.settings, key: fleet.platforms[0]!.key };
    // The same machine told to build for another CPU: a platform of its own.
    elsewhere = reportPlatform({ ...fleet.platforms[0]!.settings, cflags: `${fleet.platforms[0]!.settings.cflags} -march=znver4` });
  });

  after(async () => {
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("the first report pins the node; a report for another platform is refused and adds nothing", async () => {
    await c.fleet.ingest(subjects.report("node-a"), report(onBuilder, "dev-libs/first-1.0"));
    assert.equal(c.fleet.registry.get("node-a")?.platformKey, onBuilder.key);
    await c.fleet.ingest(subjects.report("node-a"), report(elsewhere, "dev-libs/smuggled-1.0"));
    assert.equal(c.fleet.registry.get("node-a")!.platformKey, onBuilder.key, "still on its platform");
    assert.deepEqual(c.fleet.registry.get("node-a")!.pending.map((p) => p.cpv), ["dev-libs/first-1.0"], "the refused report changed nothing");
    assert.deepEqual(c.queue.planner.buildList(elsewhere.key), [], "no variant for the other platform");
    const nodes = await cli("nodes");
    assert.equal(nodes.exitCode, 0, nodes.stderr);
    const row = (JSON.parse(nodes.stdout) as { nodes: { nodeId: string; state: string; changedPlatformKey: string }[] }).nodes.find((n) => n.nodeId === "node-a")!;
    assert.deepEqual([row.state, row.changedPlatformKey], ["platform-changed", elsewhere.key]);
  });

  test("binfleet accept-platform moves the node; its reports for the new platform are then taken", async () => {
    const r = await cli("accept-platform", "node-a");
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { nodeId: "node-a", platformKey: elsewhere.key, previousPlatformKey: onBuilder.key });
    await c.fleet.ingest(subjects.report("node-a"), report(elsewhere, "dev-libs/after-1.0"));
    assert.equal(c.fleet.registry.get("node-a")!.platformKey, elsewhere.key);
    assert.equal(c.fleet.platformChange("node-a"), undefined);
    const again = await cli("accept-platform", "node-a");
    assert.notEqual(again.exitCode, 0, "nothing to accept");
    assert.match(again.stderr, /reports no other platform than the one it is on/);
  });

  test("pins outlive a coordinator restart: an accepted change, and a first report's pin", async () => {
    await c.fleet.ingest(subjects.report("node-b"), report(onBuilder, "dev-libs/first-1.0", "node-b"));
    await c.shutdown();
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!);
    await c.fleet.ingest(subjects.report("node-a"), report(onBuilder, "dev-libs/back-1.0"));
    assert.equal(c.fleet.platformChange("node-a"), onBuilder.key);
    assert.notEqual(c.fleet.registry.get("node-a")?.platformKey, onBuilder.key);
    await c.fleet.ingest(subjects.report("node-b"), report(elsewhere, "dev-libs/smuggled-1.0", "node-b"));
    assert.equal(c.fleet.platformChange("node-b"), elsewhere.key, "pinned by its first report, before the restart");
  });
});
