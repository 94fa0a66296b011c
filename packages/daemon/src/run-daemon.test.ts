import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { ConfigError } from "@binfleet/shared";
import { createLogger } from "./logger.js";
import { runDaemon } from "./run-daemon.js";
import { Supervisor } from "./supervisor.js";

const quiet = () => createLogger({ name: "test", level: "silent", destination: new PassThrough() });
const signals = () => new EventEmitter() as unknown as Pick<NodeJS.Process, "once" | "on" | "off"> & EventEmitter;

describe("runDaemon", () => {
  test("a daemon whose loop dies is shut down and exits 1", async () => {
    let shutdowns = 0;
    const supervisor = new Supervisor(quiet());
    const stderr: string[] = [];
    const code = await runDaemon(
      "d",
      quiet(),
      async () => {
        supervisor.loop("reports", async () => {
          throw new Error("state store unwritable");
        });
        return { failure: supervisor.failure, shutdown: async () => void shutdowns++ };
      },
      { signals: signals(), stderr: (t) => void stderr.push(t) },
    );
    assert.equal(code, 1);
    assert.equal(shutdowns, 1);
    assert.match(stderr.join(""), /reports failed: state store unwritable/);
  });

  test("a failed daemon whose shutdown hangs still ends within its grace period", async () => {
    const supervisor = new Supervisor(quiet());
    const started = Date.now();
    const code = await runDaemon(
      "d",
      quiet(),
      async () => {
        supervisor.loop("bus", async () => {
          throw new Error("gone");
        });
        return { failure: supervisor.failure, shutdown: () => new Promise<void>(() => undefined) };
      },
      { signals: signals(), graceMs: 300, stderr: () => undefined },
    );
    assert.equal(code, 1);
    assert.ok(Date.now() - started < 5000, "it did not wait for the hung shutdown");
  });

  test("SIGTERM shuts down and exits 0; SIGHUP reloads a daemon that can", async () => {
    const s = signals();
    let reloads = 0;
    let stopped = false;
    const running = runDaemon("d", quiet(), async () => ({ reload: async () => void reloads++, shutdown: async () => void (stopped = true) }), { signals: s, stderr: () => undefined });
    await new Promise((r) => setImmediate(r));
    s.emit("SIGHUP");
    await new Promise((r) => setImmediate(r));
    s.emit("SIGTERM");
    assert.equal(await running, 0);
    assert.equal(reloads, 1);
    assert.ok(stopped);
  });

  test("a bad configuration exits 2 with one line naming the file and key", async () => {
    const stderr: string[] = [];
    const code = await runDaemon(
      "d",
      quiet(),
      async () => {
        throw new ConfigError("/etc/binfleet/x.json: policy: unknown key", "/etc/binfleet/x.json", "policy");
      },
      { signals: signals(), stderr: (t) => void stderr.push(t) },
    );
    assert.equal(code, 2);
    assert.deepEqual(stderr, ["d: /etc/binfleet/x.json: policy: unknown key\n"]);
  });
});
