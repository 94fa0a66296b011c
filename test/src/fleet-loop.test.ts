import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { fromBinary } from "@bufbuild/protobuf";
import { Agent, agentConfig } from "@binfleet/agent";
import { Coordinator, coordinatorConfig, trustSigningKey, variantKey } from "@binfleet/coordinator";
import { type FleetManifest, generateFleet, runTool } from "@binfleet/portage-sim";
import { createLogger, field, parseEmergePretend, parsePackagesIndex, streams, toBinaryPackage } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { type AgentReport, AgentReportSchema, MergeKind, ProgressEventSchema } from "@binfleet/shared/wire";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const simBin = join(dirname(createRequire(import.meta.url).resolve("@binfleet/portage-sim")), "../bin");
// Logs go nowhere unless BINFLEET_E2E_LOG names a file to append them to.
const quiet = () =>
  createLogger({ name: "e2e", level: "info", destination: process.env["BINFLEET_E2E_LOG"] === undefined ? new PassThrough() : pino.destination({ dest: process.env["BINFLEET_E2E_LOG"], append: true, sync: true }) });


async function pretend(root: string): Promise<ReturnType<typeof parseEmergePretend>> {
  let out = "";
  await runTool("emerge", ["--pretend", "--verbose", "--update", "--deep", "--newuse", "--getbinpkg", "@world"], { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0" }, { out: (t) => void (out += t), err: () => undefined });
  return parseEmergePretend(out);
}

describe("the whole loop: nodes report, the coordinator builds each variant once, nodes update from the binhost", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let coordinator: Coordinator;
  const agents: Agent[] = [];
  const firstReports = new Map<string, AgentReport>();

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-e2e-"));
    fleet = await generateFleet({ nodes: 4, platforms: 2, seed: 3, out: join(tmp, "fleet") });
    coordinator = await Coordinator.create(
      coordinatorConfig({
        stateDir: join(tmp, "coordinator"),
        nats: { urls: [], embeddedPort: 0 },
        http: { host: "127.0.0.1", port: 0 },
        platforms: fleet.platforms.map((p, i) => ({ name: p.name, key: p.key, root: p.builderRoot, workers: i === 0 ? 2 : 1 })),
        portage: { emerge: [process.execPath, join(simBin, "emerge")], portageq: [process.execPath, join(simBin, "portageq")], env: { BINFLEET_SIM_SPEED: "0" }, rootVariable: "BINFLEET_SIM_ROOT" },
      }),
      quiet(),
    );
    await coordinator.start();
    const natsUrl = coordinator.natsUrl;
    // Record each node's first report, before anything is built.
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    for (const n of fleet.nodes) {
      // What enrollment does: trust the platform's binpkg signing key; verify-signature stays at its default (true).
      await trustSigningKey(join(n.root, "etc/portage/gnupg"), coordinator.binpkgKeys.get(n.platform)!);
      await mkdir(join(n.root, "etc/portage/binrepos.conf"), { recursive: true });
      await writeFile(join(n.root, "etc/portage/binrepos.conf/binfleet.conf"), `[binfleet]\npriority = 10\nsync-uri = ${coordinator.binhostUrl(n.platform)}\n`);
      const agent = await Agent.create(
        agentConfig({
          nodeId: n.name,
          nats: { urls: [natsUrl] },
          coordinatorKeys: { [coordinator.signingKey.keyId]: coordinator.signingKey.publicKeyBase64 },
          root: n.root,
          stateDir: join(tmp, "agents", n.name),
          portage: { emerge: [process.execPath, join(simBin, "emerge")], portageq: [process.execPath, join(simBin, "portageq")], env: { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: "0" } },
          heartbeatSeconds: 2,
          watchSeconds: 1,
        }),
        quiet(),
      );
      agents.push(agent);
      agent.start();
    }
    for (const n of fleet.nodes) {
      const m = await until(`first report of ${n.name}`, () => jsm.streams.getMessage(streams.reports.name, { last_by_subj: `binfleet.report.${n.name}` }), 120_000);
      firstReports.set(n.name, fromBinary(AgentReportSchema, m.data));
    }
    await nc.close();
  });

  after(async () => {
    for (const a of agents) await a.shutdown();
    await coordinator?.shutdown();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("nodes on two platforms report; the agent's platform key is the builder's", () => {
    assert.equal(firstReports.size, 4);
    for (const n of fleet.nodes) {
      const p = fleet.platforms.find((x) => x.name === n.platform)!;
      assert.equal(firstReports.get(n.name)!.platform?.key, p.key, n.name);
    }
  });

  test("after the loop every node is current, compiled nothing locally, and each variant was built exactly once", async () => {
    for (const n of fleet.nodes) {
      await until(`${n.name} current`, async () => (await pretend(n.root)).total?.packages === 0, 300_000, 250);
    }
    const expected = new Map<string, Set<string>>();
    for (const [, r] of firstReports) {
      const set = expected.get(r.platform!.key) ?? new Set<string>();
      for (const p of r.plan) if (p.kind === MergeKind.EBUILD) set.add(variantKey({ platformKey: r.platform!.key, cpv: p.cpv, use: [...p.use].sort() }));
      expected.set(r.platform!.key, set);
    }
    for (const p of fleet.platforms) {
      const index = parsePackagesIndex(await readFile(join(p.builderRoot, "var/cache/binpkgs/Packages"), "utf8"));
      const counts = new Map<string, number>();
      for (const s of index.packages) {
        const b = toBinaryPackage(s, index.header);
        const iuse = new Set(b.iuse.map((f) => f.replace(/^[+-]/, "")));
        const k = variantKey({ platformKey: p.key, cpv: b.cpv.cpv, use: b.use.filter((f) => iuse.has(f)).sort() });
        counts.set(k, (counts.get(k) ?? 0) + 1);
        // Signed, as Portage's default verification requires: a clear-signed Manifest inside the gpkg.
        const gpkg = await readFile(join(p.builderRoot, "var/cache/binpkgs", field(s, "PATH")!));
        assert.ok(gpkg.includes("-----BEGIN PGP SIGNED MESSAGE-----"), `${b.cpv.cpv} is signed`);
      }
      for (const k of expected.get(p.key) ?? []) assert.equal(counts.get(k), 1, `${k} built exactly once`);
      for (const [k, c] of counts) assert.equal(c, 1, `${k} appears ${c} times in ${p.name}'s Packages`);
    }
    // Every update the coordinator ordered installed binaries only.
    const nc = await connect({ servers: coordinator.natsUrl });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streams.progress.name);
    let finished = 0;
    const compiled: string[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
      const m = await jsm.streams.getMessage(streams.progress.name, { seq: s }).catch(() => null);
      if (m === null) continue;
      const e = fromBinary(ProgressEventSchema, m.data);
      if (e.event.case === "package" && !e.event.value.binary) compiled.push(`${e.nodeId}: ${e.event.value.cpv}`);
      if (e.event.case === "finished") {
        finished++;
        assert.ok(e.event.value.success, `${e.nodeId}: ${e.event.value.error}`);
      }
    }
    assert.deepEqual(compiled, [], "nodes compiled nothing locally");
    await nc.close();
    assert.ok(finished >= fleet.nodes.length, `${finished} updates finished`);
  });
});
