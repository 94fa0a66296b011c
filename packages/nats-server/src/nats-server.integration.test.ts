import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startNatsServer } from "./nats-server.js";

/** Runs `fn` with TMPDIR a fresh directory (tmpdir() reads it on each call), given to `fn`; restores TMPDIR and removes the directory after. */
async function withTmpdir(fn: (parent: string) => Promise<void>): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), "binfleet-nats-test-"));
  const saved = process.env["TMPDIR"];
  process.env["TMPDIR"] = parent;
  try {
    await fn(parent);
  } finally {
    if (saved === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = saved;
    await rm(parent, { recursive: true, force: true });
  }
}

test("a nats-server that will not start: the error names it, and its temp directory is gone", () =>
  withTmpdir(async (parent) => {
    await assert.rejects(startNatsServer({ config: "this is { not a config" }), /nats-server/);
    assert.deepEqual(await readdir(parent), []);
  }));

test("dispose removes the directory it made", () =>
  withTmpdir(async (parent) => {
    const server = await startNatsServer();
    assert.equal((await readdir(parent)).length, 1);
    await server.dispose();
    assert.deepEqual(await readdir(parent), []);
  }));
