import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { ensureStream } from "./ensure-stream.js";

describe("ensureStream against a real nats-server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter((l) => l !== "")));
  const log = createLogger({ name: "test", level: "warn", destination: sink });

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await server?.dispose();
  });

  test("creates a missing stream, then updates it to a new configuration", async () => {
    await ensureStream(jsm, { name: "T1", subjects: ["t1.a"] }, log);
    assert.deepEqual((await jsm.streams.info("T1")).config.subjects, ["t1.a"]);
    await ensureStream(jsm, { name: "T1", subjects: ["t1.a", "t1.b"] }, log);
    assert.deepEqual((await jsm.streams.info("T1")).config.subjects, ["t1.a", "t1.b"]);
  });

  test("a stream that can be neither created nor updated: retried, logged, then a clear error", async () => {
    await ensureStream(jsm, { name: "T2", subjects: ["t2.>"] }, log);
    // Overlapping subjects: the server refuses it for as long as T2 exists.
    await assert.rejects(ensureStream(jsm, { name: "T3", subjects: ["t2.x"] }, log, 600), /stream T3 could be neither created nor updated: .*overlap/i);
    assert.ok(lines.some((l) => l.includes('"msg":"stream not ready, retrying"') && l.includes('"stream":"T3"')), lines.join("\n"));
  });
});
