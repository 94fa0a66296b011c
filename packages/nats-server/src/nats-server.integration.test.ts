import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startNatsServer } from "./nats-server.js";

test("a nats-server that will not start: the error names it, and its temp directory is gone", async () => {
  const parent = await mkdtemp(join(tmpdir(), "binfleet-nats-test-"));
  const saved = process.env["TMPDIR"];
  // tmpdir() reads TMPDIR on each call: the server's directory is made in `parent`.
  process.env["TMPDIR"] = parent;
  try {
    await assert.rejects(startNatsServer({ config: "this is { not a config" }), /nats-server/);
    assert.deepEqual(await readdir(parent), []);
  } finally {
    if (saved === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = saved;
    await rm(parent, { recursive: true, force: true });
  }
});

test("dispose removes the directory it made", async () => {
  const parent = await mkdtemp(join(tmpdir(), "binfleet-nats-test-"));
  const saved = process.env["TMPDIR"];
  process.env["TMPDIR"] = parent;
  try {
    const server = await startNatsServer();
    assert.equal((await readdir(parent)).length, 1);
    await server.dispose();
    assert.deepEqual(await readdir(parent), []);
  } finally {
    if (saved === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = saved;
    await rm(parent, { recursive: true, force: true });
  }
});
