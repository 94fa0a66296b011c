// test: long 57 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import type { FleetControlClient } from "@binfleet/api";
import { pino } from "pino";
import { adminTokenFile, variantKey } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type AgentReport, MergeKind } from "@binfleet/shared/wire";
import { type FleetHarness, pretend, startFleet } from "./fleet-harness.js";
import { programPath } from "./programs.js";
import { adminApi } from "./admin-api.js";

const log = () =>
  createLogger({ name: "e2e-cli", level: "info", destination: process.env["BINFLEET_E2E_LOG"] === undefined ? new PassThrough() : pino.destination({ dest: process.env["BINFLEET_E2E_LOG"], append: true, sync: true }) });

const binfleetBin = programPath("binfleet");

describe("the binfleet CLI drives plan → approve → builds → rollouts against a live fleet", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  let first: Map<string, AgentReport>;
  let tokenFile: string;
  let webhook: Server;
  // Waiting is done through the API client: a CLI process per poll would cost the suite more than
  // the fleet it polls. Every answer the test checks comes from the CLI.
  let api: FleetControlClient;
  const webhookBodies: Record<string, any>[] = [];
  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const r = await execa(process.execPath, [binfleetBin, "--server", h.coordinator.apiAddress, "--token-file", tokenFile, ...args], { reject: false, timeout: 240_000 });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const json = async (...args: string[]): Promise<Record<string, any>> => {
    const r = await cli("--json", ...args);
    assert.equal(r.code, 0, `binfleet ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-cli-"));
    fleet = await generateFleet({ nodes: 4, platforms: 1, seed: 11, lag: 0.02, out: join(tmp, "fleet") });
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        webhookBodies.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", () => r()));
    h = await startFleet({
      fleet,
      dir: tmp,
      log: log(),
      speed: "0",
      config: {
        policy: { requireApproval: true, notify: "rollout" },
        schedule: { nightly: "", webhook: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`, reportWaitSeconds: 60 },
      },
    });
    tokenFile = adminTokenFile(join(tmp, "coordinator"));
    api = await adminApi(h.coordinator.apiAddress, tokenFile);
    first = await until("a first report from every node", async () => {
      const r = await h.firstReports();
      return r.size === fleet.nodes.length ? r : null;
    }, 120_000);
    await until("every report ingested", async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.length === fleet.nodes.length ? true : null), 60_000, 500);
    assert.equal((await json("nodes")).nodes.length, fleet.nodes.length);
  });

  after(async () => {
    api?.close();
    await h?.teardown();
    webhook?.close();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("a wrong token and an unreachable coordinator get clear errors", async () => {
    const bad = await execa(process.execPath, [binfleetBin, "--server", h.coordinator.apiAddress, "--token", "not-the-token-at-all", "nodes"], { reject: false });
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /binfleet: error: unknown token/);
    const down = await execa(process.execPath, [binfleetBin, "--server", "127.0.0.1:1", "--token", "x", "nodes"], { reject: false, timeout: 60_000 });
    assert.equal(down.exitCode, 1);
    assert.match(down.stderr, /cannot reach the coordinator/);
    const unknown = await cli("explain", "no-such-node");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown node no-such-node/);
  });

  test("binfleet sync runs the nightly job: nodes re-report, the pending updates go to the webhook", async () => {
    // Overnight the tree moved on (the builders' and nodes' trees are one directory here): every node's plan is now old.
    await writeFile(join(fleet.repo, "metadata/timestamp.chk"), "Thu, 26 Nov 2026 00:45:01 +0000\n");
    const asked = Date.now();
    const r = await json("sync");
    assert.equal(r.nodesAsked, fleet.nodes.length);
    assert.deepEqual(r.nodesNotReported, [], "every node re-reported after its sync");
    assert.ok(r.pendingVariants > 0);
    assert.equal(r.waitingApproval, r.pendingVariants, "everything waits for approval");
    for (const n of fleet.nodes) assert.ok(Number((await h.latestReport(n.name))!.generatedAtUnixMs) >= asked, `${n.name} reported again`);
    // The webhook is delivered in the background (retried if need be): sync answers without waiting for it.
    await until("the webhook received the report", async () => (webhookBodies.length > 0 ? true : null), 30_000, 100);
    assert.equal(webhookBodies.length, 1);
    assert.equal(webhookBodies[0]!["trigger"], "binfleet sync by admin");
    assert.equal(webhookBodies[0]!["platforms"][0].buildList, r.pendingVariants);
    // Run again with nothing new upstream: every node is on the builders' snapshot and is left alone.
    const again = await json("sync");
    assert.equal(again.nodesAsked, 0, JSON.stringify(h.coordinator.fleet.registry.all().map((n) => [n.nodeId, n.snapshotId, n.platformKey])));
    assert.equal(again.pendingVariants, r.pendingVariants);
  });

  test("plan lists each needed variant once, waiting for approval; approve queues them and builders build them", async () => {
    const platform = fleet.platforms[0]!;
    const expected = new Set<string>();
    for (const r of first.values()) for (const e of r.plan) if (e.kind === MergeKind.EBUILD) expected.add(variantKey({ platformKey: platform.key, cpv: e.cpv, use: [...e.use].sort() }));
    const plan = await json("plan", "--platform", platform.name);
    const got = plan.items.map((i: { platformKey: string; cpv: string; use: string[] }) => variantKey({ platformKey: i.platformKey, cpv: i.cpv, use: [...i.use].sort() }));
    assert.deepEqual(new Set(got), expected);
    assert.equal(got.length, expected.size, "each variant once");
    assert.ok(plan.items.every((i: { state: string }) => i.state === "BUILD_STATE_WAITING_APPROVAL"));

    const human = await cli("plan");
    assert.match(human.stdout, /\[waiting-approval\s*\] \S+ USE="/);

    const approved = await json("approve", "--all", "--platform", platform.name);
    assert.equal(approved.approved.length, expected.size);
    await until("the build list is empty", async () => ((await api.getPlan({ platformKey: "" })).items.length === 0 ? true : null), 300_000, 1000);
    assert.deepEqual((await json("plan")).items, []);
    const builds = await json("builds");
    const succeeded = builds.builds.filter((b: { result: { state: string } }) => b.result.state === "BUILD_STATE_SUCCEEDED");
    assert.ok(succeeded.length >= expected.size, `${succeeded.length} builds succeeded`);
    const logs = await cli("logs", succeeded[0].job.id.slice(0, 12));
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, />>> binfleet: building /);
    assert.match(logs.stdout, />>> Emerging|>>> Completed installing|>>> Creating binpkg/);
  });

  test("a rollout whose canary fails halts and leaves the other nodes untouched", async () => {
    const nodes = [...fleet.nodes].sort((a, b) => (a.name < b.name ? -1 : 1));
    const dry = await json("rollout", "start", "--dry-run", "--canary", "1");
    assert.equal(dry.state, "done");
    assert.ok(dry.nodes.every((n: { compileCount: number }) => n.compileCount === 0), "after the builds nobody would compile");
    assert.ok(dry.nodes.some((n: { binaryCount: number }) => n.binaryCount > 0));

    const canary = nodes.find((n) => dry.nodes.find((d: { nodeId: string; binaryCount: number }) => d.nodeId === n.name)!.binaryCount > 0)!;
    await mkdir(join(canary.root, "etc/portage-sim"), { recursive: true });
    await writeFile(join(canary.root, "etc/portage-sim/faults.env"), "BINFLEET_SIM_DISK_FULL=1\n");
    const before = new Map<string, number>();
    for (const n of nodes) before.set(n.name, (await pretend(n.root)).plan.total?.packages ?? 0);

    const r = await cli("--json", "rollout", "start", "--canary", "1", "--max-in-flight", "2", "--watch");
    assert.equal(r.code, 1, r.stderr);
    const halted = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(halted.state, "halted");
    assert.match(halted.reason, new RegExp(`canary ${canary.name} failed`));
    for (const n of halted.nodes) {
      if (n.nodeId === canary.name) assert.equal(n.state, "failed");
      else assert.ok(n.state === "waiting" || n.state === "current", `${n.nodeId} is ${n.state}`);
    }
    for (const n of nodes) {
      if (n.name === canary.name) continue;
      assert.equal((await pretend(n.root)).plan.total?.packages ?? 0, before.get(n.name), `${n.name} untouched`);
    }
    const aborted = await json("rollout", "abort");
    assert.equal(aborted.state, "aborted");
    await rm(join(canary.root, "etc/portage-sim/faults.env"));
  });

  test("a rollout with a healthy canary updates every node from the binhost", async () => {
    const r = await cli("rollout", "start", "--canary", "1", "--max-in-flight", "2", "--watch");
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /rollout \S+ \(all platforms\): done/);
    const status = await json("rollout", "status");
    assert.equal(status.state, "done");
    assert.ok(status.nodes.every((n: { state: string }) => n.state === "succeeded" || n.state === "current"));
    for (const n of fleet.nodes) assert.equal((await pretend(n.root)).plan.total?.packages ?? 0, 0, `${n.name} current`);
  });

  test("explain names the flags by which a node's wish differs from the binary on the binhost", async () => {
    const built = await json("builds");
    const node = fleet.nodes[0]!;
    const report = (await h.latestReport(node.name))!;
    // A package the binhost built that this node has installed, with a flag to flip.
    const cpvs = new Set(built.builds.map((b: { job: { cpv: string } }) => b.job.cpv));
    const target = report.installed.find((p) => cpvs.has(p.cpv) && p.iuse.length > 0)!;
    assert.ok(target !== undefined, "some installed binary has USE flags");
    const flag = target.iuse[0]!.replace(/^[+-]/, "");
    const on = target.use.includes(flag);
    const cp = target.cpv.replace(/-[0-9].*$/, "");
    await mkdir(join(node.root, "etc/portage/package.use"), { recursive: true });
    await writeFile(join(node.root, "etc/portage/package.use/zz-explain-test"), `${cp} ${on ? "-" : ""}${flag}\n`);
    await h.coordinator.commands.send(node.name, { case: "report", value: {} });
    await until("the node's new wish reaches the coordinator", async () => ((await api.explain({ nodeId: node.name, atom: cp })).explanations[0]?.reason === "use-differs" ? true : null), 60_000, 500);
    const e = await json("explain", node.name, cp);
    assert.equal(e.explanations[0].reason, "use-differs");
    assert.deepEqual(e.explanations[0].differingFlags, [on ? `-${flag}` : `+${flag}`]);
    const human = await cli("explain", node.name, cp);
    assert.match(human.stdout, new RegExp(`use-differs \\[[+-]${flag}\\]`));
    assert.match(human.stdout, /waiting for approval/);
  });

  test("nodes, builders and the coordinator kept to their bus permissions throughout", () => {
    assert.deepEqual(h.busRefusals(), []);
  });
});
