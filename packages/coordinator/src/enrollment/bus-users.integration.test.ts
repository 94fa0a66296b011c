import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { buckets, consumers, followWithoutConsumers, inboxPrefix, requestCatchUp, streams, subjects } from "@binfleet/bus";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { AckPolicy, DeliverPolicy, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "@binfleet/nats-server";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { ensureBuildQueue } from "../builders/builder-pool.js";
import { type CoordinatorConfigInput, coordinatorConfig } from "../config/coordinator-config.js";
import { Coordinator } from "../coordinator.js";
import { printBusAuthorization } from "../main.js";
import { PolicyStore } from "../planning/policy-store.js";

/** Resolves true once the server reports a permission violation on the connection (asynchronous, for core NATS). */
const violation = (nc: NatsConnection): Promise<boolean> =>
  (async () => {
    for await (const s of nc.status()) if (s.type === "error" && /Permissions Violation/i.test(String(s.error))) return true;
    return false;
  })();

/** Reads every command kept on the node's subject through its catch-up consumer, as the agent does, and removes the consumer. */
async function catchUp(jsm: JetStreamManager, nc: NatsConnection, node: string): Promise<Uint8Array[]> {
  const name = consumers.commandCatchUp(node);
  // As an agent does: the coordinator makes the consumer, filtered to the node's own subject.
  await requestCatchUp(nc, node, 0);
  const out: Uint8Array[] = [];
  for await (const m of await (await jetstream(nc, { timeout: 3000 }).consumers.get(streams.commands.name, name)).fetch({ max_messages: 10, expires: 1000 })) {
    out.push(m.data);
    if (m.info.pending === 0) break;
  }
  await jsm.consumers.delete(streams.commands.name, name);
  return out;
}

/** A started coordinator without platforms on loopback ports it picks (the embedded bus by default), logging nowhere. */
async function startCoordinator(stateDir: string, nats: CoordinatorConfigInput["nats"] = { urls: [], embeddedPort: 0 }): Promise<Coordinator> {
  const c = await Coordinator.create(
    coordinatorConfig({ stateDir, nats, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 } }),
    createLogger({ name: "test", level: "error", destination: new PassThrough() }),
  );
  await c.start();
  return c;
}

describe("the embedded bus: each node has its own user and can speak only for itself", () => {
  let tmp: string;
  let c: Coordinator;
  let a: NatsConnection;
  const admin = { name: "test", role: "admin" } as const;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-bus-users-"));
    c = await startCoordinator(tmp);
    const creds = await c.enrollment.enrollNode("node-a", admin);
    await c.enrollment.enrollNode("node-b", admin);
    a = await connect({ servers: c.natsUrl, user: creds.user, pass: creds.pass, inboxPrefix: inboxPrefix("node-a") });
  });

  after(async () => {
    await a?.close();
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("strangers and wrong passwords are refused", async () => {
    await assert.rejects(connect({ servers: c.natsUrl, reconnect: false }), /Authorization Violation/i);
    await assert.rejects(connect({ servers: c.natsUrl, user: "node-a", pass: "guess", reconnect: false }), /Authorization Violation/i);
  });

  test("a node publishes its own report, gets its own commands live and reads the ones kept for it", async () => {
    const js = jetstream(a, { timeout: 3000 });
    const ack = await js.publish(subjects.report("node-a"), new Uint8Array([1]), { msgID: "own-report" });
    assert.equal(ack.stream, streams.reports.name);
    const live = a.subscribe(subjects.command("node-a"), { max: 1 });
    await a.flush();
    await c.commands.send("node-a", { case: "report", value: {} }, "cmd-a-1");
    for await (const m of live) assert.ok(m.data.length > 0, "delivered live");
    const jsm = await jetstreamManager(a, { timeout: 3000 });
    const last = await jsm.direct.getMessage(streams.commands.name, { last_by_subj: subjects.command("node-a") });
    assert.equal(last?.subject, subjects.command("node-a"), "the last command kept for it");
    assert.equal((await catchUp(jsm, a, "node-a")).length, 1, "read through its own catch-up consumer");
  });

  test("it cannot publish another node's report, read its commands, or widen its own consumer", async () => {
    const js = jetstream(a, { timeout: 2000 });
    await assert.rejects(js.publish(subjects.report("node-b"), new Uint8Array([1])), "another node's report");
    await c.commands.send("node-b", { case: "report", value: {} }, "cmd-b-1");
    const jsm = await jetstreamManager(a, { timeout: 2000 });
    await assert.rejects(catchUp(jsm, a, "node-b"), "another node's catch-up consumer");
    await assert.rejects(jsm.direct.getMessage(streams.commands.name, { last_by_subj: subjects.command("node-b") }), "another node's last command");
    await assert.rejects(
      jsm.consumers.add(streams.commands.name, { name: consumers.commandCatchUp("node-a"), filter_subject: "binfleet.cmd.>", ack_policy: AckPolicy.None }),
      "a consumer over every node's commands",
    );
    // Its own API subjects, with a body asking for more: the server goes by the subject.
    const wide = await a
      .request(
        `$JS.API.CONSUMER.CREATE.${streams.commands.name}.${consumers.commandCatchUp("node-a")}.${subjects.command("node-a")}`,
        JSON.stringify({ stream_name: streams.commands.name, config: { name: consumers.commandCatchUp("node-a"), filter_subject: "binfleet.cmd.>", ack_policy: "none" } }),
        { timeout: 2000 },
      )
      .then((m) => new TextDecoder().decode(m.data), (err: Error) => `"error": ${err.message}`);
    assert.match(wide, /"error"/, "its own consumer with a wider filter");
    await assert.rejects(jsm.consumers.info(streams.commands.name, consumers.commandCatchUp("node-a")), "no consumer was made");
    const other = await a.request(`$JS.API.DIRECT.GET.${streams.commands.name}.${subjects.command("node-a")}`, JSON.stringify({ last_by_subj: subjects.command("node-b") }), { timeout: 2000 });
    assert.notEqual(other.headers?.get("Nats-Subject"), subjects.command("node-b"), "its own direct get, asking for node-b's");
    // A core subscription to another node's commands is refused by the server (reported asynchronously).
    const denied = violation(a);
    a.subscribe(subjects.command("node-b"));
    assert.equal(await denied, true);
    // Nothing from node-a reached node-b's report subject.
    const admin = await connect({ servers: c.natsUrl, user: c.busCredentials!.user, pass: c.busCredentials!.pass, inboxPrefix: inboxPrefix(c.busCredentials!.user) });
    const m = await (await jetstreamManager(admin)).streams.getMessage(streams.reports.name, { last_by_subj: subjects.report("node-b") }).catch(() => null);
    assert.equal(m, null);
    await admin.close();
    // The server logs what it refused: the other tests' "no violation" checks rely on it.
    assert.match(c.busServerLog(), /Violation/);
  });

  test("it creates no consumer: its own catch-up consumer made a push consumer, or any other, is refused", async () => {
    const stream = streams.commands.name;
    const own = { durable_name: consumers.commandCatchUp("node-a"), name: consumers.commandCatchUp("node-a"), filter_subject: subjects.command("node-a") };
    const push = { deliver_subject: subjects.report("node-b"), ack_policy: "none" };
    for (const [subject, config] of [
      [`$JS.API.CONSUMER.CREATE.${stream}.${own.name}.${own.filter_subject}`, { ...own, ...push }],
      [`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${own.durable_name}`, { ...own, ...push }],
      [`$JS.API.CONSUMER.CREATE.${stream}`, { ...push, filter_subject: own.filter_subject }],
      [`$JS.API.CONSUMER.CREATE.${stream}.evil.${own.filter_subject}`, { ...push, name: "evil", filter_subject: own.filter_subject }],
    ] as const) {
      const answer = await a.request(subject, JSON.stringify({ stream_name: stream, config }), { timeout: 1000 }).then(
        (m) => m.json<{ error?: unknown }>(),
        () => ({ error: "refused" }),
      );
      assert.notEqual(answer.error, undefined, `${subject} was accepted`);
    }
    // The coordinator makes it on request: a pull consumer on the node's own subject, nothing pushed anywhere.
    await requestCatchUp(a, "node-a", 0);
    const info = await (await jetstreamManager(a, { timeout: 3000 })).consumers.info(stream, own.name);
    assert.deepEqual([info.config.deliver_subject, info.config.filter_subject], [undefined, subjects.command("node-a")]);
  });

  test("node ids that would be binfleet's own users are refused at enrollment", async () => {
    await assert.rejects(c.enrollment.enrollNode("binfleet-coordinator", admin), /reserved/);
    await assert.rejects(c.enrollment.enrollNode("binfleet-builder-local", admin), /reserved/);
  });
});

describe("the embedded bus: the coordinator and builders are scoped too", () => {
  let tmp: string;
  let c: Coordinator;
  let b: NatsConnection;
  let coord: NatsConnection;
  const admin = { name: "test", role: "admin" } as const;
  const bytes = new Uint8Array([1]);

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-bus-scopes-"));
    c = await startCoordinator(tmp);
    await c.enrollment.enrollNode("node-a", admin);
    const credentials = await c.enrollment.enrollBuilder("b1", admin);
    assert.equal(credentials.user, "binfleet-builder-b1");
    assert.deepEqual(await c.enrollment.enrollBuilder("b1", admin), credentials, "enrolling again gives the same user");
    b = await connect({ servers: c.natsUrl, user: credentials.user, pass: credentials.pass, inboxPrefix: inboxPrefix(credentials.user) });
    const own = c.busCredentials!;
    coord = await connect({ servers: c.natsUrl, user: own.user, pass: own.pass, inboxPrefix: inboxPrefix(own.user) });
  });

  after(async () => {
    await b?.close();
    await coord?.close();
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("a builder takes a job from the queue the coordinator made, holds its lease, streams its log and reads policy", async () => {
    const js = jetstream(coord, { timeout: 3000 });
    await ensureBuildQueue(await jetstreamManager(coord), "p1", false, 60);
    await js.publish(subjects.build("p1"), bytes, { msgID: "job-1" });
    const bjs = jetstream(b, { timeout: 3000 });
    const m = await (await bjs.consumers.get(streams.builds.name, "builders-p1")).next({ expires: 2000 });
    assert.ok(m !== null, "the job is delivered");
    assert.equal(await m.ackAck(), true);
    const kvm = new Kvm(b);
    assert.ok((await (await kvm.open(buckets.builds)).put("lease-1", "{}")) > 0);
    assert.equal(await (await kvm.open(buckets.policy)).get("nothing"), null);
    assert.equal((await bjs.publish(subjects.buildLog("ab12"), bytes)).stream, streams.buildLogs.name);
  });

  test("a builder follows holds and approvals as the coordinator makes them, without a consumer of its own", async () => {
    const o = { configHolds: [], requireApproval: () => true, autoApprove: [] };
    const mine = await PolicyStore.open(await new Kvm(coord).open(buckets.policy), o);
    await mine.hold("dev-libs/openssl", "", "CVE", "test");
    const theirs = await PolicyStore.open(await new Kvm(b).open(buckets.policy), o, followWithoutConsumers(b, await jetstreamManager(b)));
    try {
      assert.notEqual(theirs.holdFor("pk", "dev-libs/openssl-3.0.14"), null, "a hold made before it started");
      await mine.approve(["pk|app-misc/hello-1.0|"], "test");
      await mine.unhold("dev-libs/openssl", "");
      await until("the approval and the lifted hold", async () => theirs.holdFor("pk", "dev-libs/openssl-3.0.14") === null && !theirs.needsApproval("pk", "app-misc/hello-1.0", "pk|app-misc/hello-1.0|"));
    } finally {
      theirs.stop();
      mine.stop();
    }
  });

  test("a builder creates no consumer: push consumers on every stream, by every create subject, are refused", async () => {
    await ensureBuildQueue(await jetstreamManager(coord), "p2", false, 60);
    const jsm = await jetstreamManager(coord);
    // Every stream and bucket binfleet has (the coordinator may not list streams, only look at its own).
    const all = [...Object.values(streams).map((s) => s.name), streams.builds.name, streams.buildLogs.name, ...[buckets.builds, buckets.policy, buckets.rollouts, buckets.binpkgKeys, buckets.queuedWork, buckets.platformPins, buckets.createdPlatforms].map((k) => `KV_${k}`)];
    const consumersNow = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const s of all) for await (const ci of jsm.consumers.list(s)) out.push(`${s}/${ci.name}/${ci.config.deliver_subject ?? ""}`);
      return out.sort();
    };
    const before = await consumersNow();
    const deliver = subjects.command("node-a");
    let tried = 0;
    for (const stream of all) {
      const filter = (await jsm.streams.info(stream)).config.subjects![0]!.replace(/[*>]$/, "x");
      const config = { deliver_subject: deliver, ack_policy: "none" };
      for (const [subject, cfg] of [
        [`$JS.API.CONSUMER.CREATE.${stream}`, config],
        [`$JS.API.CONSUMER.CREATE.${stream}.evil`, { ...config, name: "evil" }],
        [`$JS.API.CONSUMER.CREATE.${stream}.evil.${filter}`, { ...config, name: "evil", filter_subject: filter }],
        [`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.evil`, { ...config, durable_name: "evil" }],
        // The build queue's own name: the one a builder used to create.
        [`$JS.API.CONSUMER.CREATE.${stream}.builders-p2.${subjects.build("p2")}`, { ...config, durable_name: "builders-p2", filter_subject: subjects.build("p2") }],
      ] as const) {
        tried++;
        const answer = await b.request(subject, JSON.stringify({ stream_name: stream, config: cfg }), { timeout: 1000 }).then(
          (m) => m.json<{ error?: unknown }>(),
          () => ({ error: "refused" }),
        );
        assert.notEqual(answer.error, undefined, `${subject} was accepted`);
      }
    }
    assert.equal(tried, 5 * all.length);
    const bjsm = await jetstreamManager(b, { timeout: 1000 });
    await assert.rejects(bjsm.consumers.delete(streams.builds.name, "builders-p2"), "a build queue deleted");
    await assert.rejects(bjsm.consumers.add(`KV_${buckets.policy}`, { ack_policy: AckPolicy.None }), "a pull consumer on a bucket");
    assert.deepEqual(await consumersNow(), before, "no consumer made or deleted");
    assert.equal((await jsm.streams.info(streams.commands.name)).state.messages, 0, "nothing delivered into a node's commands");
  });

  test("a builder cannot queue builds, speak for a node, send commands, change policy or keys, or drop a stream", async () => {
    const bjs = jetstream(b, { timeout: 1000 });
    await assert.rejects(bjs.publish(subjects.build("p1"), bytes), "queue a build");
    await assert.rejects(bjs.publish(subjects.report("node-a"), bytes), "a node's report");
    await assert.rejects(bjs.publish(subjects.command("node-a"), bytes), "a command");
    const kvm = new Kvm(b);
    await assert.rejects(async () => (await kvm.open(buckets.policy)).put("approval.x", "{}"), "an approval");
    await assert.rejects(async () => (await kvm.open(buckets.binpkgKeys)).put("p1", "{}"), "a signing key");
    const bjsm = await jetstreamManager(b, { timeout: 1000 });
    await assert.rejects(bjsm.streams.delete(streams.builds.name), "the build queue deleted");
    await assert.rejects(bjsm.direct.getMessage(streams.commands.name, { last_by_subj: subjects.command("node-a") }), "a node's commands");
    const jsm = await jetstreamManager(coord);
    assert.equal((await jsm.streams.info(streams.reports.name)).state.messages, 0);
    assert.equal((await jsm.streams.info(streams.commands.name)).state.messages, 0);
    assert.equal((await jsm.streams.info(streams.builds.name)).state.messages, 0, "only the test's own job, taken");
  });

  test("the coordinator cannot speak for a node: no report, heartbeat or progress in its name", async () => {
    const js = jetstream(coord, { timeout: 1000 });
    await assert.rejects(js.publish(subjects.report("node-a"), bytes), "a node's report");
    await assert.rejects(js.publish(subjects.progress("node-a"), bytes), "a node's progress");
    const denied = violation(coord);
    coord.publish(subjects.heartbeat("node-a"), bytes);
    assert.equal(await denied, true, "a node's heartbeat");
    assert.equal((await (await jetstreamManager(coord)).streams.info(streams.reports.name)).state.messages, 0);
  });
});

describe("an external cluster configured with `binfleet-coordinator bus-authorization`", () => {
  test("the coordinator runs under its printed user, the builder's and node's users are scoped as on the embedded server", async () => {
    let printed = "";
    const code = printBusAuthorization(["--builder", "b1", "--node", "node-001"], { out: (t) => void (printed += t), err: assert.fail });
    assert.equal(code, 0);
    let refused = "";
    assert.equal(printBusAuthorization(["--node", "binfleet-coordinator"], { out: assert.fail, err: (t) => void (refused += t) }), 2, "a node posing as the coordinator");
    assert.match(refused, /not a usable builder or node name/);
    const { users } = JSON.parse(printed.replace(/^authorization: /, "")) as { users: { user: string; password: string }[] };
    assert.deepEqual(users.map((u) => u.user), ["binfleet-coordinator", "binfleet-builder-b1", "node-001"]);
    const pass = (user: string): string => users.find((u) => u.user === user)!.password;

    const server = await startNatsServer({ config: printed });
    const tmp = await mkdtemp(join(tmpdir(), "binfleet-bus-external-"));
    let c: Coordinator | null = null;
    const conns: NatsConnection[] = [];
    try {
      c = await startCoordinator(tmp, { urls: [server.url], user: "binfleet-coordinator", pass: pass("binfleet-coordinator") });
      const b = await connect({ servers: server.url, user: "binfleet-builder-b1", pass: pass("binfleet-builder-b1"), inboxPrefix: inboxPrefix("binfleet-builder-b1") });
      conns.push(b);
      assert.ok((await (await new Kvm(b).open(buckets.builds)).put("lease-1", "{}")) > 0, "the builder holds a lease");
      // Enrollment names the node's user (its password is the cluster admin's).
      const enrolled = await c.enrollment.enrollNode("node-001", { name: "test", role: "admin" });
      assert.deepEqual(enrolled, { user: "node-001", pass: "" });
      await assert.rejects(c.enrollment.enrollBuilder("b2", { name: "test", role: "admin" }), /external cluster: add the builder's user/);
      await assert.rejects(jetstream(b, { timeout: 1000 }).publish(subjects.report("node-001"), new Uint8Array([1])), "the builder speaks for a node");
      const n = await connect({ servers: server.url, user: "node-001", pass: pass("node-001"), inboxPrefix: inboxPrefix("node-001") });
      conns.push(n);
      assert.equal((await jetstream(n, { timeout: 3000 }).publish(subjects.report("node-001"), new Uint8Array([1]))).stream, streams.reports.name);
      await c.commands.send("node-001", { case: "report", value: {} });
      assert.equal((await catchUp(await jetstreamManager(n, { timeout: 3000 }), n, "node-001")).length, 1, "it reads the commands kept for it");
      assert.doesNotMatch(server.log(), /Violation - User "binfleet-coordinator"/, "the coordinator started within its permissions");
      assert.match(server.log(), /Violation - User "binfleet-builder-b1"/, "the server logs what it refused");
    } finally {
      for (const nc of conns.reverse()) await nc.close();
      await c?.shutdown();
      await server.dispose();
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
