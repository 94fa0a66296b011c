// SIGHUP on a running binfleet-coordinator: the configuration file is read again, the ops API's
// tokens and the nightly schedule change at once, the access log is reopened (logrotate), settings
// that need a restart are named in the log, and a file that does not load changes nothing.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { until } from "@binfleet/shared/testing";
import { execa } from "execa";
import { binOf } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

const TOKEN_A = "token-a-0123456789abcdef";
const TOKEN_B = "token-b-0123456789abcdef";

/** The log lines of the coordinator with a given message. */
const logged = (log: string, msg: string): Record<string, unknown>[] =>
  log
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("SIGHUP applies new API tokens and schedule, reopens the access log, names what needs a restart, survives a bad file", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-reload-"));
  const stateDir = join(tmp, "state");
  const accessLog = join(tmp, "access.log");
  const file = join(tmp, "coordinator.json");
  const config = (tokens: object[], extra: object = {}) => ({ stateDir, nats: { embeddedPort: 0 }, http: { port: 0, accessLog }, api: { port: 0, tokens }, ...extra });
  await writeFile(file, JSON.stringify(config([{ name: "ops-a", role: "admin", token: TOKEN_A }])));
  let log = "";
  const child = execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", file], { reject: false, all: true });
  child.all?.on("data", (d: Buffer) => (log += d.toString()));
  const cli = (token: string) => runProgram("binfleet", ["--server", api, "--token", token, "nodes"], { reject: false, timeout: 30_000 });
  let api = "";
  try {
    const started = await until("the coordinator started", async () => logged(log, "coordinator started")[0] ?? null, 30_000);
    api = String(started["api"]);
    const binhost = String(started["binhost"]);
    assert.equal((await cli(TOKEN_A)).exitCode, 0);
    await (await fetch(`${binhost}/healthz`)).text();

    // logrotate moves the log away; the admin edits the file: a viewer token instead, a nightly run, and a new port.
    await until("the first request logged", async () => ((await readFile(accessLog, "utf8").catch(() => "")).includes("GET /healthz") ? true : null), 10_000, 50);
    await rename(accessLog, `${accessLog}.1`);
    await writeFile(file, JSON.stringify({ ...config([{ name: "ops-b", role: "viewer", token: TOKEN_B }]), http: { port: 1, accessLog }, schedule: { nightly: "03:00" } }));
    child.kill("SIGHUP");
    const applied = await until("the new configuration applied", async () => logged(log, "configuration applied")[0] ?? null, 10_000, 50);
    assert.deepEqual(applied["applied"], ["api.tokens", "schedule"]);
    assert.deepEqual(logged(log, "changed settings need a restart")[0]?.["settings"], ["http.port"]);

    const refused = await cli(TOKEN_A);
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.stderr, /unknown token/);
    assert.equal((await cli(TOKEN_B)).exitCode, 0, "the new token works without a restart");
    // The binhost still listens where it did: its port waits for a restart.
    await (await fetch(`${binhost}/healthz`)).text();
    const reopened = await until("a line in the new access log", async () => ((await readFile(accessLog, "utf8").catch(() => "")).includes("GET /healthz") ? true : null), 10_000, 50);
    assert.ok(reopened);
    assert.equal((await readFile(`${accessLog}.1`, "utf8")).trimEnd().split("\n").length, 1, "the rotated file keeps only what came before");

    // A typo in the file: refused, logged, and the running configuration stays.
    await writeFile(file, JSON.stringify({ ...config([{ name: "ops-c", role: "admin", token: "token-c-0123456789abcdef" }]), polcy: {} }));
    child.kill("SIGHUP");
    await until("the bad file refused", async () => (logged(log, "configuration not reloaded").length > 0 ? true : null), 10_000, 50);
    assert.match(log, /polcy/);
    assert.equal((await cli(TOKEN_B)).exitCode, 0, "still the last good tokens");
    assert.equal(child.exitCode, null, "still running");

    child.kill("SIGTERM");
    assert.equal((await child).exitCode, 0);
  } finally {
    child.kill("SIGKILL");
    await rm(tmp, { recursive: true, force: true });
  }
});
