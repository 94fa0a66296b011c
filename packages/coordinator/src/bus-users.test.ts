import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { agentInboxPrefix, commandConsumer, commandConsumerConfig, createLogger, streams, subjects } from "@binfleet/shared";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { Coordinator } from "./coordinator.js";
import { coordinatorConfig } from "./coordinator-config.js";

describe("the embedded bus: each node has its own user and can speak only for itself", () => {
  let tmp: string;
  let c: Coordinator;
  let a: NatsConnection;
  const admin = { name: "test", role: "admin" } as const;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-bus-users-"));
    c = await Coordinator.create(
      coordinatorConfig({ stateDir: tmp, nats: { urls: [], embeddedPort: 0 }, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 } }),
      createLogger({ name: "test", level: "error", destination: new PassThrough() }),
    );
    await c.start();
    const creds = (await c.enrollNode("node-a", admin)).credentials;
    await c.enrollNode("node-b", admin);
    a = await connect({ servers: c.natsUrl, user: creds.user, pass: creds.pass, inboxPrefix: agentInboxPrefix("node-a") });
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

  test("a node publishes its own report and reads its own command consumer", async () => {
    const js = jetstream(a, { timeout: 3000 });
    const ack = await js.publish(subjects.report("node-a"), new Uint8Array([1]), { msgID: "own-report" });
    assert.equal(ack.stream, streams.reports.name);
    const jsm = await jetstreamManager(a, { timeout: 3000 });
    const info = await jsm.consumers.info(streams.commands.name, commandConsumer("node-a"));
    assert.equal(info.config.filter_subject, subjects.command("node-a"), "created at enrollment with the node's own filter");
  });

  test("it cannot publish another node's report, read its commands, or widen its own consumer", async () => {
    const js = jetstream(a, { timeout: 2000 });
    await assert.rejects(js.publish(subjects.report("node-b"), new Uint8Array([1])), "another node's report");
    const jsm = await jetstreamManager(a, { timeout: 2000 });
    await assert.rejects(jsm.consumers.info(streams.commands.name, commandConsumer("node-b")), "another node's consumer");
    await assert.rejects(
      jsm.consumers.add(streams.commands.name, { ...commandConsumerConfig("node-a"), durable_name: "agent-node-a-wide", filter_subject: "binfleet.cmd.>", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All }),
      "a consumer over every node's commands",
    );
    // A core subscription to another node's commands is refused by the server (reported asynchronously).
    const denied = (async () => {
      for await (const s of a.status()) if (s.type === "error" && /Permissions Violation/i.test(String(s.error))) return true;
      return false;
    })();
    a.subscribe(subjects.command("node-b"));
    assert.equal(await denied, true);
    // Nothing from node-a reached node-b's report subject.
    const admin = await connect({ servers: c.natsUrl, user: c.busCredentials!.user, pass: c.busCredentials!.pass });
    const m = await (await jetstreamManager(admin)).streams.getMessage(streams.reports.name, { last_by_subj: subjects.report("node-b") }).catch(() => null);
    assert.equal(m, null);
    await admin.close();
  });
});
