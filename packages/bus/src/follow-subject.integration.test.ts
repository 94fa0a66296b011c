import assert from "node:assert/strict";
import { type Server, type Socket, createServer, connect as tcpConnect } from "node:net";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { until } from "@binfleet/shared/testing";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { openCatchUpConsumer } from "./catch-up.js";
import { followSubject } from "./follow-subject.js";

const STREAM = "FOLLOW_TEST";
const CONSUMER = "catchup-x";

/** A TCP proxy to the server whose connections can be cut and whose port refuses while cut: a client's own outage. */
async function proxyTo(port: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (at: number): Promise<number> =>
    new Promise((resolve) => {
      server = createServer((client) => {
        const up = tcpConnect(port, "127.0.0.1");
        for (const s of [client, up]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s)).on("error", () => s.destroy());
        }
        client.pipe(up).pipe(client);
      });
      server.listen(at, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
  const own = await listen(0);
  const stop = (): Promise<void> => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r()));
  };
  return { port: own, cut: stop, restore: async () => void (await listen(own)), close: stop };
}

describe("followSubject: live messages, and what the stream kept while the reader was away", () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const log = createLogger({ name: "test", level: "silent", destination: new PassThrough() });
  const text = (d: Uint8Array): string => new TextDecoder().decode(d);

  before(async () => {
    nats = await startNatsServer();
    admin = await connect({ servers: nats.url });
    js = jetstream(admin);
    jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: STREAM, subjects: ["follow.>"], allow_direct: true, max_msgs_per_subject: 10 });
  });

  after(async () => {
    await admin?.close();
    await nats?.dispose();
  });

  /**
   * Follows `subject` on a connection of its own. `record` is what the reader handled (kept across
   * readers, as an agent keeps its command state across restarts); `handed` every message given to it.
   */
  async function follow(subject: string, record: string[], servers = nats.url): Promise<{ handed: string[]; stop(): Promise<void>; nc: NatsConnection }> {
    const nc = await connect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    const ac = new AbortController();
    const handed: string[] = [];
    const jsm = await jetstreamManager(nc);
    const done = followSubject({
      nc,
      js: jetstream(nc),
      jsm,
      stream: STREAM,
      subject,
      consumer: CONSUMER,
      // What the coordinator does on a node's request; this reader may make it itself.
      openCatchUp: (from) => openCatchUpConsumer(jsm, STREAM, CONSUMER, subject, from),
      signal: ac.signal,
      log,
      what: "test",
      handle: async (d) => {
        handed.push(text(d));
        if (!record.includes(text(d))) record.push(text(d));
      },
      handled: (d) => record.includes(text(d)),
      retryMs: 100,
    });
    return {
      nc,
      handed,
      stop: async () => {
        ac.abort();
        await done;
        await nc.close();
      },
    };
  }
  const publish = async (subject: string, ...texts: string[]): Promise<void> => {
    for (const t of texts) await js.publish(subject, t, { msgID: `${subject}-${t}` });
  };

  test("what was kept is handed over first, then live messages, in order; a reader that handled all of it reads none again", async () => {
    await publish("follow.a", "a1", "a2");
    const record: string[] = [];
    const first = await follow("follow.a", record);
    await until("the kept messages", async () => record.length === 2);
    await publish("follow.a", "a3");
    await until("the live one", async () => record.length === 3);
    assert.deepEqual(first.handed, ["a1", "a2", "a3"]);
    await assert.rejects(jsm.consumers.info(STREAM, CONSUMER), "the catch-up consumer is removed");
    await first.stop();

    const restarted = await follow("follow.a", record);
    await publish("follow.a", "a4");
    await until("a4", async () => record.includes("a4"));
    await restarted.stop();
    // a4 may land before the reader's first look at the stream: then the last kept message is one
    // it has not handled and it reads what was kept again (documented: handle knows what it handled).
    // Either way a message handled before is never handled as new, and nothing is lost.
    assert.ok(restarted.handed.join() === "a4" || restarted.handed.join() === "a1,a2,a3,a4", `the last message kept was handled: nothing read again (${restarted.handed.join()})`);
    assert.deepEqual(record, ["a1", "a2", "a3", "a4"]);

    const fresh = await follow("follow.a", []);
    await until("everything kept", async () => fresh.handed.length === 4);
    await fresh.stop();
    assert.deepEqual(fresh.handed, ["a1", "a2", "a3", "a4"], "a reader that handled nothing reads everything kept");
  });

  test("what was published while the reader was cut off is read when it reconnects, before what comes live after", async () => {
    const proxy = await proxyTo(nats.port);
    const got: string[] = [];
    const f = await follow("follow.b", got, `nats://127.0.0.1:${proxy.port}`);
    await publish("follow.b", "b1");
    await until("b1", async () => got.includes("b1"));
    const reconnected = (async () => {
      for await (const st of f.nc.status()) if (st.type === "reconnect") return;
    })();
    await proxy.cut();
    await publish("follow.b", "b2", "b3");
    await proxy.restore();
    await reconnected;
    await publish("follow.b", "b4");
    await until("b2..b4", async () => got.length === 4);
    assert.deepEqual(got, ["b1", "b2", "b3", "b4"]);
    await f.stop();
    await proxy.close();
  });
});
