import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ConfigError } from "@binfleet/shared";
import { execa } from "execa";
import { coordinatorConfig, loadCoordinatorConfig } from "./coordinator-config.js";

const BIN = fileURLToPath(new URL("../../bin/binfleet-coordinator.js", import.meta.url));

describe("coordinator configuration", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "binfleet-coordinator-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('"polcy" and "apiTokens" are refused, not ignored: each named with the key it meant, both at once', async () => {
    const file = join(dir, "typos.json");
    // What the probe started: approval required under a mistyped key, tokens where there are none.
    await writeFile(file, JSON.stringify({ stateDir: dir, polcy: { requireApproval: true }, apiTokens: [{ name: "ops", token: "x".repeat(32), role: "admin" }] }));
    await assert.rejects(loadCoordinatorConfig(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.file, file);
      assert.deepEqual(
        e.problems.map((p) => p.key),
        ["polcy", "apiTokens"],
      );
      assert.equal(e.message, `${file}: polcy: unknown key "polcy" (did you mean "policy"?)\n${file}: apiTokens: unknown key "apiTokens" (did you mean "api.tokens"?)`);
      return true;
    });
  });

  test("unknown keys are refused inside platforms, policy, the bus and TLS settings too", () => {
    const bad = { stateDir: dir, platforms: [{ name: "amd64", key: "k", root: "/r", worker: 2 }], policy: { requireAproval: true }, nats: { tls: { cert: "c", key: "k", ca: "x" } }, mirror: { enabled: false, prot: 873 } };
    assert.throws(
      () => coordinatorConfig(bad as never),
      (e: unknown) => e instanceof ConfigError && e.problems.map((p) => p.key).join(" ") === "platforms.0.worker policy.requireAproval nats.tls.ca mirror.prot" && /did you mean "workers"\?/.test(e.message) && /did you mean "requireApproval"\?/.test(e.message),
    );
  });

  test("`binfleet-coordinator run` and `builder` exit 2 naming the file and the key path", async () => {
    const file = join(dir, "coordinator.json");
    await writeFile(file, JSON.stringify({ stateDir: join(dir, "state"), policy: { hold: [], notfy: "rollout" } }));
    for (const cmd of ["run", "builder"]) {
      const r = await execa(process.execPath, [BIN, cmd, "--config", file], { reject: false, timeout: 30_000, env: { BINFLEET_LOG_LEVEL: "fatal" } });
      assert.equal(r.exitCode, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^binfleet-(coordinator|builder): ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: policy\\.notfy: unknown key "notfy" \\(did you mean "notify"\\?\\)$`, "m"));
    }
  });
});
