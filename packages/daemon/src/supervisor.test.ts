import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { createLogger } from "./logger.js";
import { Supervisor } from "./supervisor.js";

const quiet = () => createLogger({ name: "test", level: "silent", destination: new PassThrough() });

describe("Supervisor", () => {
  test("a loop that throws fails the daemon once, with what failed and why", async () => {
    const s = new Supervisor(quiet());
    s.loop("steady", (signal) => new Promise((r) => signal.addEventListener("abort", () => r())));
    s.loop("reports", async () => {
      throw new Error("disk gone");
    });
    s.loop("heartbeats", async () => {
      throw new Error("second failure");
    });
    const f = await s.failure;
    assert.equal(f.what, "reports");
    assert.match(f.message, /reports failed: disk gone/);
    assert.equal(s.failed, f);
    await s.stop();
  });

  test("a loop that returns while the daemon runs is a failure too; loops ending at stop are not", async () => {
    const ended = new Supervisor(quiet());
    ended.loop("commands", async () => undefined);
    assert.equal((await ended.failure).what, "commands");
    await ended.stop();
    const stopped = new Supervisor(quiet());
    stopped.loop("reports", (signal) => new Promise((r) => signal.addEventListener("abort", () => r())));
    await stopped.stop();
    assert.equal(stopped.failed, null);
  });

  test("stop waits for the loops, then closes in reverse order, once, logging a close that fails", async () => {
    const s = new Supervisor(quiet());
    const order: string[] = [];
    s.defer("bus", () => order.push("bus"));
    s.defer("store", () => {
      order.push("store");
      throw new Error("already closed");
    });
    s.defer("api", async () => order.push("api"));
    s.loop("work", async (signal) => {
      await new Promise<void>((r) => signal.addEventListener("abort", () => r()));
      order.push("loop ended");
    });
    await Promise.all([s.stop(), s.stop()]);
    assert.deepEqual(order, ["loop ended", "api", "store", "bus"]);
  });
});
