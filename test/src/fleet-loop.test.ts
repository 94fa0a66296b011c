// test: long 52 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { pino } from "pino";
import { variantKey } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { field, parsePackagesIndex } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type AgentReport, MergeKind } from "@binfleet/shared/wire";
import { type FleetHarness, pretend, startFleet } from "./fleet-harness.js";

// Logs go nowhere unless BINFLEET_E2E_LOG names a file to append them to.
const log = () =>
  createLogger({ name: "e2e", level: "info", destination: process.env["BINFLEET_E2E_LOG"] === undefined ? new PassThrough() : pino.destination({ dest: process.env["BINFLEET_E2E_LOG"], append: true, sync: true }) });

describe("the whole loop: nodes report, the coordinator builds each variant once, nodes update from the binhost", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  let firstReports: Map<string, AgentReport>;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-e2e-"));
    fleet = await generateFleet({ nodes: 4, platforms: 2, seed: 3, lag: 0.1, out: join(tmp, "fleet") });
    // Two builder workers race for the first platform's jobs.
    h = await startFleet({ fleet, dir: tmp, log: log(), speed: "0", workersOfFirstPlatform: 2 });
    firstReports = await until("a first report from every node", async () => {
      const r = await h.firstReports();
      return r.size === fleet.nodes.length ? r : null;
    }, 120_000);
  });

  after(async () => {
    await h?.teardown();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("nodes on two platforms report; the agent's platform key is the builder's", () => {
    for (const n of fleet.nodes) {
      const p = fleet.platforms.find((x) => x.name === n.platform)!;
      assert.equal(firstReports.get(n.name)!.platform?.key, p.key, n.name);
    }
  });

  test("after the loop every node is current, compiled nothing locally, and each variant was built exactly once, signed", async () => {
    for (const n of fleet.nodes) await h.untilCurrent(n, `${n.name} current`, 300_000);
    const counts = await h.binhostCounts();
    for (const [, r] of firstReports) {
      const p = fleet.platforms.find((x) => x.key === r.platform!.key)!;
      for (const e of r.plan) {
        if (e.kind !== MergeKind.EBUILD) continue;
        const k = variantKey({ platformKey: p.key, cpv: e.cpv, use: [...e.use].sort() });
        assert.equal(counts.get(p.name)!.get(k), 1, `${k} built exactly once`);
      }
    }
    for (const [name, c] of counts) for (const [k, n] of c) assert.equal(n, 1, `${k} appears ${n} times in ${name}'s Packages`);
    for (const p of fleet.platforms) {
      const index = parsePackagesIndex(await readFile(join(p.builderRoot, "var/cache/binpkgs/Packages"), "utf8"));
      for (const s of index.packages) {
        // Signed, as Portage's default verification requires: a clear-signed Manifest inside the gpkg.
        const gpkg = await readFile(join(p.builderRoot, "var/cache/binpkgs", field(s, "PATH")!));
        assert.ok(gpkg.includes("-----BEGIN PGP SIGNED MESSAGE-----"), `${field(s, "CPV")} is signed`);
      }
    }
    const events = await h.progress();
    const compiled = events.flatMap((e) => (e.event.case === "package" && !e.event.value.binary ? [`${e.nodeId}: ${e.event.value.cpv}`] : []));
    assert.deepEqual(compiled, [], "nodes compiled nothing locally");
    const finished = events.filter((e) => e.event.case === "finished");
    for (const e of finished) assert.ok(e.event.case === "finished" && e.event.value.success, `${e.nodeId} update failed`);
    assert.ok(finished.length >= fleet.nodes.length, `${finished.length} updates finished`);
    // The nodes' reports after their update reach the coordinator a moment after emerge ends.
    const metrics = await until("every node current in /metrics", async () => {
      const text = await (await fetch(`${h.coordinator.httpUrl}/metrics`)).text();
      return fleet.platforms.every((p) => text.includes(`binfleet_nodes{platform="${p.key}",state="current"} 2`)) ? text : null;
    }, 60_000);
    assert.doesNotMatch(metrics, /^binfleet_build_list\{/m, "nothing left to build");
    assert.match(metrics, /^binfleet_cache_hit_ratio 1$/m);
    assert.match(metrics, /^binfleet_binhost_http_requests_total\{method="GET",code="200"\} [1-9]/m, "the nodes' fetches are counted");
    // Where promtool is not installed (scripts/ensure-deps.sh installs it), it does not start: no exit code.
    const promtool = await execa("promtool", ["check", "metrics"], { input: metrics, reject: false });
    if (promtool.exitCode !== undefined) assert.equal(promtool.exitCode, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
  });
  test("a second round of reports builds nothing: everything is already on the binhost", async () => {
    const before = await h.binhostCounts();
    const succeeded = async (): Promise<number> => [...(await h.coordinator.metrics()).matchAll(/^binfleet_builds_total\{[^}]*result="succeeded"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    const builtBefore = await succeeded();
    assert.ok(builtBefore > 0, "the first round's builds are counted");
    for (const n of fleet.nodes) await h.coordinator.commands.send(n.name, { case: "report", value: {} });
    // Every node's fresh report is in when the registry shows a report received after the request.
    const asked = Date.now();
    await until("fresh reports from every node", async () => fleet.nodes.every((n) => (h.coordinator.fleet.registry.get(n.name)?.receivedAt ?? 0) >= asked) || null, 60_000, 250);
    for (const p of fleet.platforms) assert.deepEqual(h.coordinator.queue.planner.buildList(p.key), [], `${p.name}: nothing to build`);
    assert.equal(await succeeded(), builtBefore, "no build ran");
    assert.deepEqual(await h.binhostCounts(), before);
  });

  test("a node that changes USE gets exactly its new variant built, then updates from the binhost", async () => {
    const node = fleet.nodes[0]!;
    const platform = fleet.platforms.find((p) => p.name === node.platform)!;
    const before = await h.binhostCounts();
    const { wanted } = await h.changeUse(node);
    const after = await h.binhostCounts();
    const added = [...after.get(platform.name)!.keys()].filter((k) => !before.get(platform.name)!.has(k));
    assert.deepEqual(added, [wanted], "exactly the new variant was built");
    assert.equal((await pretend(node.root)).plan.total?.packages ?? 0, 0);
  });

  test("nodes, builders and the coordinator kept to their bus permissions throughout", () => {
    assert.deepEqual(h.busRefusals(), []);
  });
});
