import assert from "node:assert/strict";
import { type Server, type Socket, connect as tcpConnect, createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { startNatsServer, type NatsServer } from "@binfleet/nats-server";
import { until } from "@binfleet/shared/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { type BucketEntry, followWithoutConsumers } from "./buckets.js";

/** A TCP relay to the bus that can be cut: its clients lose the bus while others keep it. */
async function relay(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let open = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => (sockets.delete(s), client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `nats://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore: () => void (open = true),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("followWithoutConsumers", () => {
  let server: NatsServer;
  let writer: NatsConnection;
  let kv: KV;
  before(async () => {
    server = await startNatsServer();
    writer = await connect({ servers: server.url });
    kv = await new Kvm(writer).create("follow-test", { history: 5 });
  });
  after(async () => {
    await writer?.close();
    await server?.dispose();
  });

  test("sees the current values, then every put and delete, creating no consumer; after a lost connection, what it missed", async () => {
    await kv.put("a", JSON.stringify(1));
    await kv.put("gone", JSON.stringify(0));
    await kv.delete("gone");
    const link = await relay(new URL(server.url));
    const nc = await connect({ servers: link.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const seen = new Map<string, unknown>();
    const onEntry = (e: BucketEntry): void => void (e.operation === "PUT" ? seen.set(e.key, e.json()) : seen.delete(e.key));
    const stop = await followWithoutConsumers(nc, await jetstreamManager(nc))(await new Kvm(nc).open("follow-test"), onEntry);
    try {
      assert.deepEqual([...seen], [["a", 1]], "the current values are in when it resolves");
      await kv.put("b", JSON.stringify(2));
      await kv.delete("a");
      await until("a put and a delete", async () => seen.size === 1 && seen.get("b") === 2);
      // Changes made while its connection is down reach it once it is back.
      link.cut();
      await kv.put("c", JSON.stringify(3));
      await kv.purge("b");
      link.restore();
      await until("what it missed", async () => seen.size === 1 && seen.get("c") === 3, 20_000);
      assert.equal((await (await jetstreamManager(writer)).consumers.list("KV_follow-test").next()).length, 0, "no consumer on the bucket");
    } finally {
      stop();
      await nc.close();
      await link.close();
    }
  });
});
