// A daemon that can no longer work exits non-zero, within its grace period, for its service manager
// to restart it: the coordinator whose embedded nats-server died (every node's bus went with it).
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { until } from "@binfleet/shared/testing";
import { execa } from "execa";
import { binOf } from "./fleet-harness.js";

test("the coordinator exits 1 within its grace period when its embedded nats-server is killed", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-failure-"));
  const stateDir = join(tmp, "state");
  const config = join(tmp, "coordinator.json");
  await writeFile(config, JSON.stringify({ stateDir, nats: { embeddedPort: 0 }, http: { port: 0 }, api: { port: 0 } }));
  let log = "";
  const child = execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", config], { reject: false, all: true });
  child.all?.on("data", (d: Buffer) => (log += d.toString()));
  try {
    await until("the coordinator started", async () => log.includes('"msg":"coordinator started"'), 30_000);
    const portsFile = await until("the embedded server's ports file", async () => (await readdir(join(stateDir, "nats"))).find((f) => /^nats-server_\d+\.ports$/.test(f)));
    const pid = Number(/_(\d+)\.ports$/.exec(portsFile)![1]);
    const killedAt = Date.now();
    process.kill(pid, "SIGKILL");
    const r = await child;
    assert.equal(r.exitCode, 1, r.all);
    assert.ok(Date.now() - killedAt < 20_000, "it exited within its grace period");
    assert.match(log, /"msg":"daemon failed".*"what":"embedded nats-server"|"what":"embedded nats-server".*"msg":"daemon failed"/);
  } finally {
    child.kill("SIGKILL");
    await rm(tmp, { recursive: true, force: true });
  }
});
