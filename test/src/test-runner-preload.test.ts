import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const preload = fileURLToPath(new URL("./test-runner-preload.js", import.meta.url));

// A test file as ours are written: hooks registered in describe bodies, tests that do I/O, one that fails.
const FILE = `
import { describe, test, before, after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer } from "node:net";
let server;
describe("outer", () => {
  before(async () => { server = createServer(); await new Promise((r) => server.listen(0, "127.0.0.1", r)); });
  after(() => { console.log("OUTER-AFTER"); server.close(); });
  describe("inner", () => {
    after(() => console.log("INNER-AFTER"));
    test("passes after I/O", async () => { await sleep(20); });
    test("fails after I/O", async () => { await sleep(20); throw new Error("planned failure"); });
  });
});
`;

describe("the test runner preload", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "binfleet-preload-"));
    await writeFile(join(dir, "sample.test.mjs"), FILE);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("suites' after hooks still run (the open server is closed), failures still fail the file", async () => {
    const r = await execa(process.execPath, ["--import", preload, "--test", "--test-reporter=tap", join(dir, "sample.test.mjs")], {
      reject: false,
      timeout: 60_000,
      // Not as a subtest of this run: a runner inside a test reports to its parent, not by exit code.
      env: { NODE_TEST_CONTEXT: undefined },
    });
    assert.equal(r.timedOut, false, "the file ended: its after hook closed the server");
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.stdout, /INNER-AFTER[\s\S]*OUTER-AFTER/);
    assert.match(r.stdout, /^# pass 1$/m);
    assert.match(r.stdout, /^# fail 1$/m);
    assert.match(r.stdout, /planned failure/);
  });
});
