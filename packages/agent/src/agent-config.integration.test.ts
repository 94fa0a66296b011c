import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ConfigError } from "@binfleet/shared";
import { execa } from "execa";
import { loadAgentConfig } from "./agent-config.js";

const BIN = fileURLToPath(new URL("../bin/binfleet-agent.js", import.meta.url));
const valid = { nodeId: "node-001", nats: { urls: ["nats://127.0.0.1:4222"] }, coordinatorKeys: { k1: "AAAA" } };

describe("agent configuration", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "binfleet-agent-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("every unknown key is refused at once, each with its path and the key it meant", async () => {
    const file = join(dir, "agent.json");
    await writeFile(file, JSON.stringify({ ...valid, reportIntervalSecond: 60, portage: { emerge: ["/usr/bin/emerge"], evn: {} }, nats: { ...valid.nats, passwd: "x" } }));
    await assert.rejects(loadAgentConfig(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.problems.map((p) => [p.key, p.message]),
        [
          ["nats.passwd", 'unknown key "passwd" (did you mean "pass"?)'],
          ["reportIntervalSecond", 'unknown key "reportIntervalSecond" (did you mean "reportIntervalSeconds"?)'],
          ["portage.evn", 'unknown key "evn" (did you mean "env"?)'],
        ],
      );
      return true;
    });
  });

  test("`binfleet-agent run` exits 2 naming the file and the key path", async () => {
    const file = join(dir, "typo.json");
    await writeFile(file, JSON.stringify({ ...valid, watchSecond: 5 }));
    const r = await execa(process.execPath, [BIN, "run", "--config", file], { reject: false, timeout: 30_000, env: { BINFLEET_LOG_LEVEL: "fatal" } });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.equal(r.stderr.trim(), `binfleet-agent: ${file}: watchSecond: unknown key "watchSecond" (did you mean "watchSeconds"?)`);
  });
});
