import { consumers, serveCatchUps, streams, subjects } from "@binfleet/bus";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { appendFile, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { type MessageInitShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { decodeReport, publicKeyToBase64, readVdb, signCommand } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type AgentReport, AgentReportSchema, type CommandSchema, type ProgressEvent, ProgressEventSchema } from "@binfleet/shared/wire";
import { type FleetManifest, generateFleet, simToolArgv } from "@binfleet/portage-sim";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { Agent } from "./agent.js";
import { type AgentConfig, agentConfig } from "./agent-config.js";



describe("binfleet-agent against a real nats-server and a portage-sim node", () => {
  let tmp: string;
  let nats: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let fleet: FleetManifest;
  let agent: Agent;
  let config: AgentConfig;
  const logs: Record<string, unknown>[] = [];
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const node = "node-001";
  let seq = 1n;

  const command = (action: MessageInitShape<typeof CommandSchema>["action"], over: { id?: string; expiresAtUnixMs?: bigint } = {}): Uint8Array =>
    signCommand(
      { id: over.id ?? randomUUID(), nodeId: node, sequence: seq++, issuedAtUnixMs: BigInt(Date.now()), expiresAtUnixMs: over.expiresAtUnixMs ?? BigInt(Date.now() + 600_000), ...(action === undefined ? {} : { action }) },
      privateKey,
      "k1",
    );
  const lastReport = async (): Promise<AgentReport | null> => {
    const m = await jsm.streams.getMessage(streams.reports.name, { last_by_subj: subjects.report(node) });
    return m === null ? null : decodeReport(m.data, 8 * 1024 * 1024);
  };
  const progress = async (commandId: string): Promise<ProgressEvent[]> => {
    const out: ProgressEvent[] = [];
    const info = await jsm.streams.info(streams.progress.name);
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const m = await jsm.streams.getMessage(streams.progress.name, { seq: s }).catch(() => null);
      if (m === null) continue;
      const e = fromBinary(ProgressEventSchema, m.data);
      if (e.commandId === commandId) out.push(e);
    }
    return out;
  };
  const refusals = (): Record<string, unknown>[] => logs.filter((l) => l["msg"] === "command refused");
  const accepted = (): unknown[] => logs.filter((l) => l["msg"] === "command accepted").map((l) => l["commandId"]);
  const startAgent = async (): Promise<Agent> => {
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    const a = await Agent.create(config, createLogger({ name: "agent-test", level: "debug", destination: sink }));
    a.start();
    return a;
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-agent-"));
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    // What the coordinator does for agents: their catch-up consumers, on request.
    serveCatchUps(nc, jsm, createLogger({ name: "catch-ups", level: "silent", destination: new PassThrough() }));
    for (const s of Object.values(streams)) await jsm.streams.add({ ...s, subjects: [...s.subjects] });
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 11, out: join(tmp, "fleet") });
    config = agentConfig({
      nodeId: node,
      nats: { urls: [nats.url] },
      coordinatorKeys: { k1: publicKeyToBase64(publicKey) },
      root: fleet.nodes[0]!.root,
      stateDir: join(tmp, "state"),
      portage: {
        emerge: simToolArgv("emerge"),
        portageq: simToolArgv("portageq"),
        env: { BINFLEET_SIM_ROOT: fleet.nodes[0]!.root, BINFLEET_SIM_SPEED: "0" },
      },
      heartbeatSeconds: 1,
      watchSeconds: 0.3,
      maxCommandBytes: 4096,
    });
    agent = await startAgent();
  });

  after(async () => {
    await agent?.shutdown();
    await nc?.close();
    await nats?.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  test("a report arrives on JetStream and decodes to what the node has and needs", async () => {
    const r = await until("first report", lastReport);
    const root = fleet.nodes[0]!.root;
    assert.equal(r.nodeId, node);
    assert.equal(r.platform?.arch, "amd64");
    assert.match(r.platform?.key ?? "", /^amd64-[0-9a-f]{12}$/);
    assert.equal(r.snapshots[0]?.id, fleet.snapshot);
    assert.equal(r.installed.length, (await readVdb(join(root, "var/db/pkg"))).length);
    assert.equal(r.world.length, fleet.nodes[0]!.world);
    assert.ok(r.plan.length > 0, "the generated node has updates pending");
    assert.match(r.contentHash, /^[0-9a-f]{64}$/);
  });

  test("a report made while NATS is down arrives after NATS returns", async () => {
    await until("first report", lastReport);
    await nats.stop();
    await appendFile(join(fleet.nodes[0]!.root, "var/lib/portage/world"), "app-misc/jq\n");
    await until("report queued while the bus is down", async () => logs.some((l) => l["msg"] === "report queued" && logs.indexOf(l) > 0 && logs.some((x) => x["msg"] === "disconnected from the bus")));
    await nats.restart();
    const r = await until("report with app-misc/jq", async () => {
      const rep = await lastReport();
      return rep !== null && rep.world.includes("app-misc/jq") ? rep : null;
    });
    assert.ok(r.world.includes("app-misc/jq"));
  });

  test("tampered, unsigned, expired and replayed commands are refused, logged, and run nothing; one sent again is passed over quietly", async () => {
    const goodId = randomUUID();
    const good = command({ case: "report", value: {} }, { id: goodId });
    await js.publish(subjects.command(node), good);
    await until("first command accepted", async () => accepted().includes(goodId));
    const before = refusals().length;
    const tampered = Uint8Array.from(command({ case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [] } }));
    tampered[10] = tampered[10]! ^ 0x40;
    const otherKey = generateKeyPairSync("ed25519").privateKey;
    const unsigned = signCommand({ id: "x", nodeId: node, sequence: seq++, issuedAtUnixMs: BigInt(Date.now()), expiresAtUnixMs: BigInt(Date.now() + 60_000), action: { case: "update", value: {} } }, otherKey, "k1");
    const expired = command({ case: "update", value: {} }, { expiresAtUnixMs: BigInt(Date.now() - 1000) });
    // Properly signed, but under an id the node never saw and a sequence it is past.
    const replayed = signCommand({ id: randomUUID(), nodeId: node, sequence: 1n, issuedAtUnixMs: BigInt(Date.now()), expiresAtUnixMs: BigInt(Date.now() + 60_000), action: { case: "update", value: {} } }, privateKey, "k1");
    for (const m of [tampered, unsigned, expired, replayed, good]) await js.publish(subjects.command(node), m);
    const got = await until("four refusals", async () => (refusals().length >= before + 4 ? refusals().slice(before) : null));
    assert.deepEqual(got.map((l) => l["reason"]).sort(), ["bad-signature", "bad-signature", "expired", "replayed"].sort());
    await until("the good command passed over", async () => logs.some((l) => l["msg"] === "command already taken" && l["commandId"] === goodId));
    assert.equal(refusals().length, before + 4, "sent again is no refusal");
    assert.equal(accepted().filter((id) => id === goodId).length, 1, "and it did not run again");
    assert.equal(logs.filter((l) => l["msg"] === "running portage").length, 0, "nothing ran");
  });

  test("hostile input from the bus is refused with a log line and the agent stays up", async () => {
    const before = refusals().length;
    const wrongSchema = toBinary(AgentReportSchema, create(AgentReportSchema, { nodeId: node, world: ["a/b"] }));
    for (const m of [new Uint8Array([0xde, 0xad, 0xbe, 0xef]), wrongSchema, new Uint8Array(10_000).fill(7)]) await js.publish(subjects.command(node), m);
    const got = await until("three refusals", async () => (refusals().length >= before + 3 ? refusals().slice(before) : null));
    assert.deepEqual(got.map((l) => l["reason"]).sort(), ["malformed", "too-large", "unknown-key"]);
    assert.equal(agent.status(), "running");
  });

  test("a command whose handler fails is answered finished{success:false} once: the next command runs at once", async () => {
    // The command state cannot be written (a directory stands where its file goes): accepting the command fails.
    const stateFile = join(tmp, "state/commands.json");
    await rm(stateFile, { force: true });
    await mkdir(stateFile);
    const id = randomUUID();
    await js.publish(subjects.command(node), command({ case: "report", value: {} }, { id }));
    const finished = await until("the failed command's outcome", async () => (await progress(id)).find((e) => e.event.case === "finished") ?? null);
    assert.ok(finished.event.case === "finished" && !finished.event.value.success);
    assert.match(finished.event.case === "finished" ? finished.event.value.error : "", /failed to carry it out/);
    await rm(stateFile, { recursive: true });
    const next = randomUUID();
    await js.publish(subjects.command(node), command({ case: "report", value: {} }, { id: next }));
    await until("the next command accepted", async () => accepted().includes(next));
    assert.equal((await progress(id)).filter((e) => e.event.case === "finished").length, 1, "answered once, not handled again");
    assert.equal(agent.status(), "running");
  });

  test("binpkg keys named for another platform, or with a hostile binhost URL, are refused and change nothing", async () => {
    const id = randomUUID();
    const key = { fingerprint: "A".repeat(40), publicKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" };
    await js.publish(subjects.command(node), command({ case: "trustBinpkgKeys", value: { platformKey: "other-platform-1", keys: [key] } }, { id }));
    const finished = await until("the command's outcome", async () => (await progress(id)).find((e) => e.event.case === "finished") ?? null);
    assert.ok(finished.event.case === "finished" && !finished.event.value.success);
    assert.match(finished.event.case === "finished" ? finished.event.value.error : "", new RegExp(`keys for platform other-platform-1; this node is on ${fleet.platforms[0]!.key}`));
    await assert.rejects(stat(join(tmp, "state/binpkg-keys.json")), "nothing recorded as trusted");
    // Its own platform, but a binhost URL that would inject a setting into binrepos.conf.
    const hostile = randomUUID();
    await js.publish(subjects.command(node), command({ case: "trustBinpkgKeys", value: { platformKey: fleet.platforms[0]!.key, keys: [key], binhostUrl: 'http://binhost.invalid/"\nverify-signature = false' } }, { id: hostile }));
    const refusedUrl = await until("the hostile URL's outcome", async () => (await progress(hostile)).find((e) => e.event.case === "finished") ?? null);
    assert.match(refusedUrl.event.case === "finished" ? refusedUrl.event.value.error : "", /invalid binhost URL/);
    await assert.rejects(stat(join(fleet.nodes[0]!.root, "etc/portage/binrepos.conf/binfleet.conf")), "no binrepos.conf written");
  });

  test("an update command runs emerge with the expected argv, updates the vdb and sends a fresh report", async () => {
    const id = randomUUID();
    await js.publish(subjects.command(node), command({ case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [] } }, { id }));
    const events = await until("update finished", async () => {
      const ev = await progress(id);
      return ev.some((e) => e.event.case === "finished") ? ev : null;
    }, 180_000);
    const started = events.find((e) => e.event.case === "started")!;
    assert.deepEqual(started.event.case === "started" ? started.event.value.argv.slice(simToolArgv("emerge").length) : [], ["--color=n", "--verbose", "--getbinpkg", "--update", "--deep", "--newuse", "@world"]);
    const finished = events.find((e) => e.event.case === "finished")!;
    assert.ok(finished.event.case === "finished" && finished.event.value.success, JSON.stringify(finished.event.value));
    assert.ok(events.some((e) => e.event.case === "package"));
    const r = await until("report after the update", async () => {
      const rep = await lastReport();
      return rep !== null && rep.plan.length === 0 ? rep : null;
    });
    assert.equal(r.installed.length, (await readVdb(join(fleet.nodes[0]!.root, "var/db/pkg"))).length);
  });

  test("commands sent while the agent was stopped are read from the stream when it starts, in order, and live ones follow", async () => {
    await agent.shutdown();
    const before = refusals().length;
    const missed: string[] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of missed) await js.publish(subjects.command(node), command({ case: "report", value: {} }, { id }), { msgID: id });
    const logStart = logs.length;
    agent = await startAgent();
    await until("the missed commands taken", async () => (missed.every((id) => accepted().includes(id)) ? true : null));
    // The catch-up consumer is deleted after its last message is handled: the log line follows the delete.
    await until("the catch-up ended", async () => (logs.slice(logStart).some((l) => l["msg"] === "caught up from the stream") ? true : null));
    assert.deepEqual(accepted().filter((id) => missed.includes(String(id))), missed, "in the order they were sent");
    // Read again from the stream: the forged and expired commands of the tests above are refused again, the ones taken are not.
    const taken = new Set(accepted());
    assert.deepEqual(refusals().slice(before).filter((l) => taken.has(l["commandId"])), [], "the commands taken before the stop were passed over quietly");
    await assert.rejects(jsm.consumers.info(streams.commands.name, consumers.commandCatchUp(node)), "the catch-up consumer is gone");
    const live = randomUUID();
    await js.publish(subjects.command(node), command({ case: "report", value: {} }, { id: live }));
    await until("a live command after the catch-up", async () => accepted().includes(live));
  });
});
