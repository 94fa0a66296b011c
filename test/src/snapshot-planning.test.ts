import { inboxPrefix, streams, subjects } from "@binfleet/bus";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Coordinator, explainNode } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { freePort, until } from "@binfleet/shared/testing";
import { AgentReportSchema, CommandSchema, MergeKind, SignedCommandSchema } from "@binfleet/shared/wire";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startQuietCoordinator } from "./fleet-harness.js";

describe("planning uses only nodes on the fleet's snapshot; a node behind is told to sync", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;
  let current: string;
  /** A package the builders' tree has (a report naming one it lacks plans nothing). */
  let cpv: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-snapplan-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 4, out: join(tmp, "fleet") });
    const tree = join(tmp, "tree");
    await cp(fleet.repo, tree, { recursive: true });
    // No workers: this test is about what gets planned, not built.
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!, { mirror: { enabled: true, port: await freePort(), tree } });
    current = await c.mirror!.publish(tree);
    const cat = (await readdir(join(tree, "metadata/md5-cache"))).sort()[0]!;
    cpv = `${cat}/${(await readdir(join(tree, "metadata/md5-cache", cat))).sort()[0]!}`;
  });

  after(async () => {
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  const report = (snapshot: string, generatedAt: number): Uint8Array =>
    toBinary(
      AgentReportSchema,
      create(AgentReportSchema, {
        nodeId: "node-x",
        generatedAtUnixMs: BigInt(generatedAt),
        platform: { ...fleet.platforms[0]!.settings, key: fleet.platforms[0]!.key },
        snapshots: [{ repo: "gentoo", id: snapshot }],
        plan: [
          { kind: MergeKind.EBUILD, cpv, use: [], useDisabled: [] },
          { kind: MergeKind.EBUILD, cpv: "app-misc/not-in-the-tree-1.0", use: [], useDisabled: [] },
        ],
      }),
    );

  test("a report on an old snapshot plans nothing, explains why, and brings a signed sync to the node", async () => {
    await c.fleet.ingest(subjects.report("node-x"), report("Mon, 01 Jan 2024 00:00:00 +0000", Date.now()));
    assert.deepEqual(c.queue.planner.buildList(fleet.platforms[0]!.key), []);
    const n = c.fleet.registry.get("node-x")!;
    const why = explainNode(n, { hasBuilder: () => true, holdFor: () => null, binhostUses: () => [], buildStatus: () => "", builderSnapshot: () => c.mirror!.snapshotId }, null);
    assert.equal(why[0]!.reason, "snapshot-behind");
    const nc = await connect({ servers: c.natsUrl, user: c.busCredentials!.user, pass: c.busCredentials!.pass, inboxPrefix: inboxPrefix(c.busCredentials!.user) });
    try {
      const jsm = await jetstreamManager(nc);
      const m = await until("the sync command", () => jsm.streams.getMessage(streams.commands.name, { last_by_subj: subjects.command("node-x") }).catch(() => null), 10_000, 100);
      const cmd = fromBinary(CommandSchema, fromBinary(SignedCommandSchema, m.data).command);
      assert.equal(cmd.action.case, "sync");
      assert.equal(cmd.action.case === "sync" && cmd.action.value.snapshotId, current);
    } finally {
      await nc.close();
    }
  });

  test("once the node is on the current snapshot its needs enter the build list, except what the builders' tree lacks", async () => {
    await c.fleet.ingest(subjects.report("node-x"), report(current, Date.now() + 1));
    const list = c.queue.planner.buildList(fleet.platforms[0]!.key);
    assert.deepEqual(list.map((i) => i.variant.cpv), [cpv]);
    assert.equal((await readFile(join(tmp, "coordinator/mirror/current/metadata/timestamp.chk"), "utf8")).trim(), current);
  });
});
