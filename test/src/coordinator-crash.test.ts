import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { Agent, agentConfig } from "@binfleet/agent";
import { type BuildRecord, type CoordinatorConfigInput, heldVariants, loadOrCreateSigningKey, recordKey } from "@binfleet/coordinator";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { createLogger, parsePackagesIndex } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { binOf, sim } from "./fleet-harness.js";


describe("a coordinator killed mid-build and restarted finishes the job without building anything twice", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let nats: NatsServer;
  let nc: NatsConnection;
  let agents: Agent[] = [];
  let coordinator: ReturnType<typeof startCoordinator> | null = null;
  let configFile: string;

  /** The coordinator in its own process group, so SIGKILL takes its emerge children with it, as a crash would. */
  const startCoordinator = (run: number) => {
    const child = execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", configFile], { detached: true, reject: false, stdio: ["ignore", "ignore", "pipe"] });
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
    fleet = await generateFleet({ nodes: 2, platforms: 1, seed: 5, out: join(tmp, "fleet") });
    nats = await startNatsServer({ dir: join(tmp, "nats") });
    nc = await connect({ servers: nats.url });
    const p = fleet.platforms[0]!;
    const config: CoordinatorConfigInput = {
      stateDir: join(tmp, "coordinator"),
      nats: { urls: [nats.url] },
      http: { host: "127.0.0.1", port: 0 },
      api: { host: "127.0.0.1", port: 0 },
      platforms: [{ name: p.name, key: p.key, root: p.builderRoot, workers: 1 }],
      portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_SPEED: "0.01" }, rootVariable: "BINFLEET_SIM_ROOT" },
      buildLeaseSeconds: 3,
    };
    configFile = join(tmp, "coordinator.json");
    await writeFile(configFile, JSON.stringify(config));
    // The key the coordinator will load: nodes are enrolled with it before it first starts.
    const key = await loadOrCreateSigningKey(join(tmp, "coordinator"));
    for (const n of fleet.nodes) {
      const agent = await Agent.create(
        agentConfig({
          nodeId: n.name,
          nats: { urls: [nats.url] },
          coordinatorKeys: { [key.keyId]: key.publicKeyBase64 },
          root: n.root,
          stateDir: join(tmp, "agents", n.name),
          portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: "0" } },
          heartbeatSeconds: 5,
        }),
        createLogger({ name: "agent", level: "error", destination: new PassThrough() }),
      );
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
});
