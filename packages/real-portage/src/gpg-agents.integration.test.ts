import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { stopMarkedGpgAgents } from "./gpg-agents.js";

describe("stopMarkedGpgAgents", () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-gpg-agents-"));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  const startAgent = async (home: string, marker: string): Promise<void> => {
    await execa("mkdir", ["-m", "700", "-p", home]);
    const r = await execa("gpg-connect-agent", ["--homedir", home, "/bye"], { env: { BINFLEET_TEST_MARK: marker }, reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
  };
  // gpg-connect-agent exits 0 either way: what it says tells.
  const running = async (home: string): Promise<boolean> => !/no gpg-agent running/.test((await execa("gpg-connect-agent", ["--no-autostart", "--homedir", home, "/bye"], { reject: false, all: true })).all);

  test("stops the agents started with the marker, and only those", async () => {
    const [mine, other] = [join(tmp, "mine"), join(tmp, "other")];
    await startAgent(mine, tmp);
    await startAgent(other, `${tmp}-other`);
    assert.equal(await stopMarkedGpgAgents("BINFLEET_TEST_MARK", tmp), 1);
    for (let i = 0; i < 50 && (await running(mine)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await running(mine), false, "the marked agent is gone");
    assert.equal(await running(other), true, "an agent with another marker still runs");
    assert.equal(await stopMarkedGpgAgents("BINFLEET_TEST_MARK", `${tmp}-other`), 1);
  });
});
