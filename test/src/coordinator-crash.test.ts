// test: serial (the coordinator is killed mid-build and mid-rollout; leases run out)
import { streams, subjects } from "@binfleet/bus";
import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { Agent, agentConfig } from "@binfleet/agent";
import { type BuildRecord, type CoordinatorConfigInput, adminTokenFile, heldVariants, loadOrCreateSigningKey, recordKey } from "@binfleet/coordinator/internal";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { parsePackagesIndex } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { ProgressEventSchema } from "@binfleet/shared/wire";
import { fromBinary } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import { freePort, until } from "@binfleet/shared/testing";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { binOf, pretend, sim, simBuilderPortage } from "./fleet-harness.js";
import { runProgram } from "./programs.js";
import { adminApi } from "./admin-api.js";

const quiet = () => createLogger({ name: "agent", level: "error", destination: new PassThrough() });


describe("a coordinator killed mid-build and mid-rollout, and an agent offline through a rollout: nothing lost, nothing done twice", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let nats: NatsServer;
  let nc: NatsConnection;
  let agents: Agent[] = [];
  const agentConfigs: ReturnType<typeof agentConfig>[] = [];
  let apiPort: number;
  let coordinator: ReturnType<typeof startCoordinator> | null = null;
  let configFile: string;

  /**
   * The coordinator in its own process group, so SIGKILL takes its emerge children with it, as a
   * crash would; their temp files in the test's directory, as killed processes leave theirs.
   */
  const startCoordinator = (run: number) => {
    const child = execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", configFile], { detached: true, reject: false, stdio: ["ignore", "ignore", "pipe"], env: { TMPDIR: join(tmp, "tmp") } });
    child.stderr?.pipe(createWriteStream(join(tmp, `coordinator-${run}.log`)));
    return child;
  };
  const killCoordinator = async (): Promise<void> => {
    if (coordinator?.pid !== undefined) {
      try {
        process.kill(-coordinator.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await coordinator;
    }
    coordinator = null;
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-crash-"));
    await mkdir(join(tmp, "tmp"));
    fleet = await generateFleet({ nodes: 3, platforms: 1, seed: 5, lag: 0.05, out: join(tmp, "fleet") });
    apiPort = await freePort();
    nats = await startNatsServer({ dir: join(tmp, "nats") });
    nc = await connect({ servers: nats.url });
    const p = fleet.platforms[0]!;
    const config: CoordinatorConfigInput = {
      stateDir: join(tmp, "coordinator"),
      nats: { urls: [nats.url] },
      http: { host: "127.0.0.1", port: 0 },
      // A fixed port: the CLI finds the restarted coordinator where it was.
      api: { host: "127.0.0.1", port: apiPort },
      platforms: [{ name: p.name, key: p.key, root: p.builderRoot, workers: 1 }],
      // Nodes update only through rollouts here; a node without heartbeats for 6 s is offline.
      policy: { notify: "rollout" },
      staleAfterSeconds: 6,
      portage: simBuilderPortage({ BINFLEET_SIM_SPEED: "0.003" }),
      buildLeaseSeconds: 3,
    };
    configFile = join(tmp, "coordinator.json");
    await writeFile(configFile, JSON.stringify(config));
    // The key the coordinator will load: nodes are enrolled with it before it first starts.
    const key = await loadOrCreateSigningKey(join(tmp, "coordinator"));
    for (const n of fleet.nodes) {
      const ac = agentConfig({
          nodeId: n.name,
          nats: { urls: [nats.url] },
          coordinatorKeys: { [key.keyId]: key.publicKeyBase64 },
          root: n.root,
          stateDir: join(tmp, "agents", n.name),
          portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: "0" } },
          heartbeatSeconds: 2,
        });
      agentConfigs.push(ac);
      const agent = await Agent.create(ac, quiet());
      agents.push(agent);
      agent.start();
    }
  });

  after(async () => {
    await killCoordinator();
    for (const a of agents) await a.shutdown().catch(() => undefined);
    agents = [];
    await nc?.close();
    await nats?.stop();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("kill -9 while a build runs, restart: the interrupted build is taken over once, every finished variant is on the binhost once", async () => {
    const kv = await new Kvm(nc).create("binfleet-builds", { history: 5 });
    const records = async (): Promise<BuildRecord[]> => {
      const out: BuildRecord[] = [];
      for await (const k of await kv.keys()) {
        const e = await kv.get(k);
        if (e?.operation === "PUT") out.push(e.json<BuildRecord>());
      }
      return out;
    };
    coordinator = startCoordinator(1);
    const victim = await until("a build running", async () => (await records()).find((r) => r.state === "running") ?? null, 120_000, 100);
    await killCoordinator();
    const interrupted = (await kv.get(recordKey(victim.key)))!.json<BuildRecord>();
    assert.equal(interrupted.state, "running", "the record still says running: nobody finished it");

    coordinator = startCoordinator(2);
    const pkgdir = join(fleet.platforms[0]!.builderRoot, "var/cache/binpkgs");
    // The rest of the build list goes on building; the interrupted job is what this test is about.
    const final = await until("the interrupted build finished after the restart", async () => {
      const rs = await records();
      return rs.find((r) => r.key === victim.key)?.state === "succeeded" ? rs : null;
    }, 300_000, 500);
    assert.ok(final.find((r) => r.key === victim.key)!.attempt >= 2, "the interrupted build was taken over");
    assert.ok(final.find((r) => r.key === victim.key)!.builder !== interrupted.builder, "by the restarted process's worker");

    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
    const counts = new Map<string, number>();
    for (const k of heldVariants(fleet.platforms[0]!.key, index)) counts.set(k, (counts.get(k) ?? 0) + 1);
    assert.equal(counts.get(victim.key), 1, "the interrupted variant is on the binhost once");
    for (const r of final.filter((x) => x.state === "succeeded")) assert.equal(counts.get(r.key), 1, `${r.key} built exactly once`);
    const log2 = await readFile(join(tmp, "coordinator-2.log"), "utf8");
    const started = log2.split("\n").filter((l) => l.includes('"build started"') && l.includes(JSON.stringify(victim.key)));
    assert.equal(started.length, 1, "the restarted coordinator built the interrupted variant once");
  });

  test("kill -9 mid-rollout, restart: the rollout resumes and no node is updated twice; a node offline throughout is updated when it returns", async () => {
    const cli = async (...args: string[]): Promise<unknown> => {
      const r = await runProgram("binfleet", ["--server", `127.0.0.1:${apiPort}`, "--token-file", adminTokenFile(join(tmp, "coordinator")), "--json", ...args], { reject: false });
      assert.equal(r.exitCode, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split("\n").pop()!);
    };
    const [first, second, away] = [...fleet.nodes].sort((x, y) => (x.name < y.name ? -1 : 1));
    // Each binary download takes a while on the nodes that stay: the kill lands while one updates.
    for (const n of [first!, second!]) {
      await mkdir(join(n.root, "etc/portage-sim"), { recursive: true });
      await writeFile(join(n.root, "etc/portage-sim/faults.env"), "BINFLEET_SIM_SLOW_BINHOST_MS=150\n");
    }
    // The last node goes offline before the rollout and stays away through the coordinator's crash.
    const awayIndex = fleet.nodes.indexOf(away!);
    await agents[awayIndex]!.shutdown();
    // The wait asks the API from this process (a CLI process per look costs ~0.2 CPU-s); the CLI says the same after.
    const api = await adminApi(`127.0.0.1:${apiPort}`, adminTokenFile(join(tmp, "coordinator")));
    try {
      await until("the away node offline", async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.find((n) => n.nodeId === away!.name)?.state === "stale" ? true : null), 60_000, 500);
    } finally {
      api.close();
    }
    assert.equal(((await cli("nodes")) as { nodes: { nodeId: string; state: string }[] }).nodes.find((n) => n.nodeId === away!.name)?.state, "stale");

    const rolloutKv = await new Kvm(nc).open("binfleet-rollouts");
    const started = (await cli("rollout", "start", "--canary", "1", "--max-in-flight", "1")) as { id: string };
    type Saved = { state: string; nodes: { nodeId: string; state: string; canary: boolean; commandId: string }[] };
    const saved = async (): Promise<Saved> => (await rolloutKv.get(started.id))!.json<Saved>();
    // The canary has succeeded and the next node is updating: now the coordinator dies.
    const before = await until("the second node updating", async () => {
      const r = await saved();
      const byId = new Map(r.nodes.map((n) => [n.nodeId, n]));
      return byId.get(first!.name)?.state === "succeeded" && byId.get(second!.name)?.state === "updating" ? r : null;
    }, 600_000, 100);
    assert.notEqual(before.nodes.find((n) => n.nodeId === away!.name)?.state, "succeeded");
    await killCoordinator();

    coordinator = startCoordinator(3);
    await until("the in-flight node's outcome after the restart", async () => ((await saved()).nodes.find((n) => n.nodeId === second!.name)?.state === "succeeded" ? true : null), 120_000, 250);
    // At its turn the away node is marked offline; the rollout waits for it.
    await until("the away node marked offline", async () => ((await saved()).nodes.find((n) => n.nodeId === away!.name)?.state === "offline" ? true : null), 60_000, 250);
    assert.equal((await saved()).state, "running", "the rollout waits for the node that is away");

    // The node returns: its agent starts again with its state, and the rollout updates it.
    agents[awayIndex] = await Agent.create(agentConfigs[awayIndex]!, quiet());
    agents[awayIndex]!.start();
    const done = await until("the rollout done", async () => {
      const r = await saved();
      return r.state === "done" ? r : null;
    }, 300_000, 250);
    assert.deepEqual(done.nodes.map((n) => n.state), ["succeeded", "succeeded", "succeeded"]);

    // Each node ran its rollout command once: one start and one finish on the progress stream.
    for (const n of done.nodes) {
      let starts = 0;
      let finishes = 0;
      const consumer = await (await jetstream(nc).consumers.get(streams.progress.name, { filter_subjects: subjects.progress(n.nodeId) })).fetch({ max_messages: 10_000, expires: 2000 });
      for await (const m of consumer) {
        const ev = fromBinary(ProgressEventSchema, m.data);
        if (ev.commandId === n.commandId && ev.event.case === "started") starts++;
        if (ev.commandId === n.commandId && ev.event.case === "finished") finishes++;
        if (m.info.pending === 0) break;
      }
      assert.deepEqual([starts, finishes], [1, 1], `${n.nodeId} ran its update once`);
      const p = await pretend(fleet.nodes.find((f) => f.name === n.nodeId)!.root);
      assert.equal(p.plan.entries.filter((e) => e.kind === "ebuild").length, 0, `${n.nodeId} has nothing left to compile`);
    }
    const resumed = (await readFile(join(tmp, "coordinator-3.log"), "utf8")).split("\n").filter((l) => l.includes('"msg":"rollout resumed"') && l.includes(started.id));
    assert.equal(resumed.length, 1, "the restarted coordinator resumed the rollout");
    assert.match(resumed[0]!, new RegExp(`"resent":\\["${second!.name}"\\]`), "and resent only the in-flight update");
  });
});
