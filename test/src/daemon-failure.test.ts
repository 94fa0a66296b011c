// A daemon that can no longer work exits non-zero, within its grace period, for its service manager
// to restart it: the coordinator whose embedded nats-server died (every node's bus went with it).
// One whose start fails closes what it opened.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { Coordinator, coordinatorConfig } from "@binfleet/coordinator/internal";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { execa } from "execa";
import { binOf, simBuilderPortage } from "./fleet-harness.js";

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

test("a coordinator whose start fails closes what it had opened: its embedded nats-server is gone", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-failure-"));
  // A builder root whose gpg home is too long for gpg-agent's sockets: preparing the binhost fails.
  const root = join(tmp, "r".repeat(100));
  await mkdir(root, { recursive: true });
  const c = await Coordinator.create(
    coordinatorConfig({ stateDir: join(tmp, "state"), nats: { urls: [], embeddedPort: 0 }, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 }, platforms: [{ name: "amd64-v3", key: "amd64-v3-test", root, workers: 0 }], portage: simBuilderPortage() }),
    createLogger({ name: "test", level: "silent", destination: new PassThrough() }),
  );
  try {
    const port = Number(new URL(c.natsUrl).port);
    await assert.rejects(c.start(), /too long for gpg-agent's sockets/);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connectTcp(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(false)));
      s.once("error", () => resolve(true));
    });
    assert.ok(refused, "nothing listens on the embedded server's port any more");
  } finally {
    await c.shutdown();
    await rm(tmp, { recursive: true, force: true });
  }
});
