import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { jetstreamManagerWhenReady } from "./jetstream-ready.js";

/** Two accounts: `plain` has JetStream only when `plainJetStream`. */
const accounts = (plainJetStream: boolean): string =>
  `accounts { JS: { jetstream: enabled, users: [{ user: js, password: js }] }, PLAIN: { ${plainJetStream ? "jetstream: enabled, " : ""}users: [{ user: plain, password: plain }] } }`;

describe("jetstreamManagerWhenReady against a real nats-server", () => {
  let server: NatsServer;
  const opened: NatsConnection[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new PassThrough();
  sink.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>)));
  const log = createLogger({ name: "test", level: "warn", destination: sink });
  const as = async (user: string): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url, user, pass: user });
    opened.push(nc);
    return nc;
  };
  const waits = (): number => lines.filter((l) => l["msg"] === "jetstream not answering yet, waiting").length;

  before(async () => {
    server = await startNatsServer({ config: accounts(false) });
  });
  after(async () => {
    for (const nc of opened) await nc.close();
    await server?.dispose();
  });

  test("answers at once where JetStream answers, with nothing logged", async () => {
    const jsm = await jetstreamManagerWhenReady(await as("js"), { timeout: 5000, log });
    assert.ok((await jsm.getAccountInfo()).limits !== undefined);
    assert.equal(waits(), 0);
  });

  test("waits, logging once, where JetStream does not answer, and fails with JetStream's error after waitMs", async () => {
    const started = Date.now();
    await assert.rejects(jetstreamManagerWhenReady(await as("plain"), { timeout: 5000, waitMs: 1200, log }), { name: "JetStreamNotEnabled" });
    assert.ok(Date.now() - started >= 500, "looked again before giving up");
    assert.equal(waits(), 1);
  });

  test("a JetStream that starts answering while it waits (a configuration reload) is taken", async () => {
    const nc = await as("plain");
    const ready = jetstreamManagerWhenReady(nc, { timeout: 5000, waitMs: 20_000, log });
    await new Promise((r) => setTimeout(r, 700));
    await server.reload(accounts(true));
    const jsm = await ready;
    assert.ok((await jsm.getAccountInfo()).limits !== undefined);
    assert.equal(waits(), 2, "it waited");
  });
});
