// test: long 50 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { pino } from "pino";
import type { FleetControlClient } from "@binfleet/api";
import { adminTokenFile } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type FleetHarness, startFleet } from "./fleet-harness.js";
import { programPath } from "./programs.js";
import { adminApi } from "./admin-api.js";

const log = () =>
  createLogger({ name: "e2e-glsa", level: "info", destination: process.env["BINFLEET_E2E_LOG"] === undefined ? new PassThrough() : pino.destination({ dest: process.env["BINFLEET_E2E_LOG"], append: true, sync: true }) });

const binfleetBin = programPath("binfleet");

/** Every installed package of a node, `category/pf`. */
async function installed(root: string): Promise<Set<string>> {
  const out = new Set<string>();
  const vdb = join(root, "var/db/pkg");
  for (const cat of await readdir(vdb)) for (const pf of await readdir(join(vdb, cat))) if (!pf.startsWith(".") && !pf.startsWith("-")) out.add(`${cat}/${pf}`);
  return out;
}

const difference = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

describe("from a GLSA to a patched fleet: binfleet glsa, glsa show, glsa fix", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  let tokenFile: string;
  // Waits poll the API in this process: a CLI process costs ~0.2 CPU-s, and a wait polls every 500 ms.
  // What the test asserts is read through the CLI.
  let api: FleetControlClient;
  let advisory: FleetManifest["advisories"][number];
  let webhook: Server;
  const webhookBodies: Record<string, any>[] = [];
  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const r = await execa(process.execPath, [binfleetBin, "--server", h.coordinator.apiAddress, "--token-file", tokenFile, ...args], { reject: false, timeout: 120_000 });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const json = async (...args: string[]): Promise<Record<string, any>> => {
    const r = await cli("--json", ...args);
    assert.equal(r.code, 0, `binfleet ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  };
  const exposedNodes = async (): Promise<string[]> => [...new Set((await api.getAdvisory({ id: advisory.id })).exposures.map((e) => e.nodeId))].sort();

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-glsa-"));
    // Seed 3: an advisory (dev-python/lxml) hits three of six nodes, on both platforms.
    fleet = await generateFleet({ nodes: 6, platforms: 2, seed: 3, lag: 0.1, out: join(tmp, "fleet") });
    const found = fleet.advisories.find((a) => a.platforms.length === 2 && a.nodes.length > 1 && a.nodes.length < fleet.nodes.length);
    assert.ok(found !== undefined, `an advisory hitting some nodes of both platforms: ${JSON.stringify(fleet.advisories)}`);
    advisory = found;
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
      // Nothing is built or updated but the fix: every other build waits for an approval nobody gives.
      config: {
        policy: { requireApproval: true, notify: "rollout", security: "auto" },
        staleAfterSeconds: 8,
        schedule: { nightly: "", webhook: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`, reportWaitSeconds: 30 },
      },
    });
    tokenFile = adminTokenFile(join(tmp, "coordinator"));
    api = await adminApi(h.coordinator.apiAddress, tokenFile);
    await until("every node's report taken in", async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.length === fleet.nodes.length ? true : null), 120_000, 500);
  });

  after(async () => {
    api?.close();
    await h?.teardown();
    webhook?.close();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("binfleet glsa names exactly the exposed nodes, with the version that fixes each", async () => {
    await until("the advisory's exposures", async () => ((await api.listAdvisories({ platformKey: "", all: false })).advisories.find((a) => a.id === advisory.id)?.nodesExposed === advisory.nodes.length ? true : null), 60_000, 500);
    const list = await json("glsa");
    const affecting = fleet.advisories.filter((a) => a.nodes.length > 0);
    assert.deepEqual(list.advisories.map((a: { id: string }) => a.id).sort(), affecting.map((a) => a.id).sort(), "only advisories affecting the fleet");
    const entry = list.advisories.find((a: { id: string }) => a.id === advisory.id);
    assert.deepEqual(entry.platformKeys, fleet.platforms.filter((p) => advisory.platforms.includes(p.name)).map((p) => p.key).sort(), "on both platforms");
    assert.equal(entry.packages[0], advisory.cp);
    assert.ok(Number(entry.oldestExposureUnixMs) > 0);
    assert.equal((await json("glsa", "--all")).advisories.length, fleet.advisories.length, "--all: every advisory of the tree");
    assert.deepEqual(list.refused, []);

    const show = await json("glsa", "show", `GLSA-${advisory.id}`);
    assert.deepEqual([...new Set(show.exposures.map((e: { nodeId: string }) => e.nodeId))].sort(), advisory.nodes);
    for (const e of show.exposures) {
      assert.equal(e.fixedCpv, `${advisory.cp}-${advisory.fixed}`);
      assert.ok(e.installedCpv.startsWith(`${advisory.cp}-`) && e.installedCpv !== e.fixedCpv);
    }
    const human = await cli("glsa");
    assert.match(human.stdout, new RegExp(`${advisory.id}\\s+${advisory.severity}\\s+${advisory.nodes.length}\\s+2\\s`));
    const metrics = await (await fetch(`${h.coordinator.httpUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^binfleet_glsa_exposed_nodes\\{glsa="${advisory.id}",severity="${advisory.severity}"\\} ${advisory.nodes.length}$`, "m"));
    const bad = await cli("glsa", "show", "not-an-id");
    assert.equal(bad.code, 2, "an invalid argument");
    assert.match(bad.stderr, /invalid advisory id 'not-an-id'/);
  });

  test("a sync brings a new advisory to the nightly report and its webhook; hostile advisory files are refused with the reason, the coordinator keeps running", async () => {
    const dir = join(fleet.repo, "metadata/glsa");
    const other = fleet.advisories.find((a) => a.id !== advisory.id && a.nodes.length > 0)!;
    const text = await readFile(join(dir, `glsa-${other.id}.xml`), "utf8");
    await writeFile(join(dir, "glsa-202611-10.xml"), text.replace(`id="${other.id}"`, 'id="202611-10"'));
    const bomb = `<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd" [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>`;
    await writeFile(join(dir, "glsa-202611-11.xml"), text.replace(/<!DOCTYPE[^>]*>/, bomb).replace(`id="${other.id}"`, 'id="202611-11"').replace(/<vulnerable range="lt">[^<]*</, '<vulnerable range="lt">&c;<'));
    await writeFile(join(dir, "glsa-202611-12.xml"), "");
    await truncate(join(dir, "glsa-202611-12.xml"), 50 * 1024 * 1024);
    await writeFile(join(dir, "glsa-202611-13.xml"), text.replace(`id="${other.id}"`, 'id="202611-13"').replace('range="lt"', 'range="lesser"'));

    const r = await json("sync");
    // The first report names every advisory affecting the fleet: those read at start, and the one the sync brought.
    const affecting = [...fleet.advisories.filter((a) => a.nodes.length > 0).map((a) => a.id), "202611-10"].sort();
    assert.deepEqual([...r.newAdvisories].sort(), affecting);
    const report = webhookBodies.at(-1)!;
    assert.deepEqual(report["advisories"].map((a: { id: string }) => a.id).sort(), affecting);
    assert.deepEqual(report["advisories"].find((a: { id: string }) => a.id === "202611-10"), { id: "202611-10", title: `${other.cp.split("/")[1]}: Multiple Vulnerabilities`, severity: other.severity, nodes: other.nodes, platforms: fleet.platforms.filter((p) => other.platforms.includes(p.name)).map((p) => p.key).sort() });
    const refused = new Map(((await json("glsa")).refused as { file: string; error: string }[]).map((x) => [x.file.replace(/^.*\//, ""), x.error]));
    assert.deepEqual([...refused.keys()].sort(), ["glsa-202611-11.xml", "glsa-202611-12.xml", "glsa-202611-13.xml"]);
    assert.match(refused.get("glsa-202611-11.xml")!, /internal subset|entit/i);
    assert.match(refused.get("glsa-202611-12.xml")!, /larger than/);
    assert.match(refused.get("glsa-202611-13.xml")!, /invalid range 'lesser'/);
    const human = await cli("glsa");
    assert.match(human.stdout, / ! \S+glsa-202611-12\.xml: 52428800 bytes: larger than/);
    assert.equal(h.coordinator.status(), "running");
    assert.equal((await json("glsa", "show", "202611-10")).advisory.nodesExposed, other.nodes.length);
  });

  test("glsa fix builds each fixed variant once, updates only the exposed nodes; a node away meanwhile is caught up when it returns", async () => {
    const away = advisory.nodes.at(-1)!;
    await h.stopAgent(away);
    await until(`${away} offline`, async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.find((n) => n.nodeId === away)?.state === "stale" ? true : null), 60_000, 500);
    assert.equal((await json("nodes")).nodes.find((n: { nodeId: string }) => n.nodeId === away)?.state, "stale");
    const before = new Map<string, Set<string>>();
    for (const n of fleet.nodes) before.set(n.name, await installed(n.root));

    const r = await json("glsa", "fix", advisory.id, "--canary", "1", "--max-in-flight", "5");
    assert.deepEqual(r.rollout.nodes.map((n: { nodeId: string }) => n.nodeId), advisory.nodes, "the rollout covers exactly the exposed nodes");
    for (const n of r.rollout.nodes) assert.deepEqual(n.atoms, [`=${advisory.cp}-${advisory.fixed}`]);
    assert.equal(r.rollout.options.purpose, `GLSA ${advisory.id}`);
    assert.deepEqual(r.unfixableNodes, []);
    const variants = r.fix.builds.map((b: { job: { platformKey: string; cpv: string; use: string[] } }) => `${b.job.platformKey}|${b.job.cpv}|${b.job.use.join(",")}`);
    assert.equal(new Set(variants).size, variants.length, "each variant once");
    const platformKeys = fleet.platforms.filter((p) => advisory.platforms.includes(p.name)).map((p) => p.key).sort();
    assert.deepEqual([...new Set(r.fix.builds.map((b: { job: { platformKey: string } }) => b.job.platformKey))].sort(), platformKeys, "built for both platforms");
    assert.equal((await cli("glsa", "fix", advisory.id)).code, 1, "one fix of an advisory at a time");

    await until("every online exposed node fixed", async () => ((await exposedNodes()).join() === away ? true : null), 90_000, 500);
    const rollout = (await json("rollout", "status", r.rollout.id));
    assert.equal(rollout.state, "running", "the rollout waits for the node that is away");
    assert.equal(rollout.nodes.find((n: { nodeId: string }) => n.nodeId === away).state, "offline");

    await h.startAgent(away);
    await until("no node exposed", async () => ((await exposedNodes()).length === 0 ? true : null), 90_000, 500);
    const closed = (await json("glsa", "show", advisory.id)).advisory;
    assert.equal(closed.fix.state, "closed");
    assert.equal(closed.nodesExposed, 0);
    assert.ok(!(await json("glsa")).advisories.some((a: { id: string }) => a.id === advisory.id), "a closed advisory no longer affects the fleet");
    await until("the fix's rollout done", async () => ((await api.getRollout({ rolloutId: r.rollout.id })).rollout?.state === "done" ? true : null), 30_000, 500);
    const done = await json("rollout", "status", r.rollout.id);
    assert.equal(done.state, "done");
    assert.equal(done.nodes.every((n: { state: string }) => n.state === "succeeded"), true);

    // Exactly the vulnerable package changed on the exposed nodes; nothing on the others.
    for (const n of fleet.nodes) {
      const now = await installed(n.root);
      const was = before.get(n.name)!;
      if (advisory.nodes.includes(n.name)) {
        const removed = difference(was, now);
        assert.equal(removed.length, 1, `${n.name}: ${removed.join(" ")}`);
        assert.ok(removed[0]!.startsWith(`${advisory.cp}-`));
        assert.deepEqual(difference(now, was), [`${advisory.cp}-${advisory.fixed}`], n.name);
      } else {
        assert.deepEqual([difference(was, now), difference(now, was)], [[], []], `${n.name} untouched`);
      }
    }
    // Built once per platform variant, and nothing else (every other build waits for approval).
    const builds = (await json("builds")).builds.filter((b: { result: { state: string } }) => b.result.state === "BUILD_STATE_SUCCEEDED");
    assert.deepEqual(builds.map((b: { job: { platformKey: string; cpv: string; use: string[] } }) => `${b.job.platformKey}|${b.job.cpv}|${b.job.use.join(",")}`).sort(), [...variants].sort());
    for (const [platform, counts] of await h.binhostCounts()) for (const [variant, count] of counts) assert.equal(count, 1, `${platform}: ${variant}`);
    assert.deepEqual(h.busRefusals(), []);
  });
});
