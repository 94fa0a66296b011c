import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { publishConfirmed } from "./confirmed-publish.js";

describe("publishConfirmed: core publishes into a stream, acknowledged in bulk", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(1);

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: "CONFIRM_TEST", subjects: ["confirm.>"], max_msg_size: 1024 });
  });

  after(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  test("every message stored is confirmed, subscribers get them as they are published, a resend is stored once", async () => {
    const live: string[] = [];
    const sub = nc.subscribe("confirm.live.*", { callback: (_e, m) => void live.push(m.subject) });
    const messages = Array.from({ length: 500 }, (_, i) => ({ subject: `confirm.live.n${i}`, data: bytes(10), msgId: `m-${i}` }));
    assert.deepEqual(await publishConfirmed(nc, "_INBOX", messages, 5000), []);
    assert.deepEqual(await publishConfirmed(nc, "_INBOX", messages.slice(0, 10), 5000), [], "a duplicate is confirmed: it was stored before");
    await nc.flush();
    sub.unsubscribe();
    assert.equal(live.length, 510, "every publish reached the subscriber, the resends too");
    const info = await (await jetstreamManager(nc)).streams.info("CONFIRM_TEST");
    assert.equal(info.state.messages, 500, "the resends were not stored again");
  });

  test("what the stream refuses, or nothing stores, is reported with why", async () => {
    const messages = [
      { subject: "confirm.ok", data: bytes(10), msgId: "ok" },
      { subject: "confirm.big", data: bytes(4096), msgId: "big" },
      { subject: "elsewhere.nobody", data: bytes(10), msgId: "nobody" },
    ];
    const failed = await publishConfirmed(nc, "_INBOX", messages, 5000);
    assert.deepEqual(failed.map((f) => f.index), [1, 2]);
    assert.match(failed[0]!.reason, /refused by the stream/);
    assert.match(failed[1]!.reason, /no stream stored it/);
  });

  test("a message only a plain subscriber takes is not confirmed once the wait is over", async () => {
    const sub = nc.subscribe("elsewhere.listener");
    await nc.flush();
    const failed = await publishConfirmed(nc, "_INBOX", [{ subject: "elsewhere.listener", data: bytes(1), msgId: "x" }], 200);
    sub.unsubscribe();
    assert.deepEqual(failed, [{ index: 0, reason: "no acknowledgement within 200 ms" }]);
  });
});
