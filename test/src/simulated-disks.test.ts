import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { simulatedDisks } from "./simulated-disks.js";

test("no tmpfs with room: the machines' files go to the directory on disk, which remove keeps", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-disks-"));
  try {
    const onDisk = join(tmp, "fleet");
    // More room than any machine has.
    const disks = await simulatedDisks(onDisk, Number.MAX_SAFE_INTEGER);
    assert.deepEqual({ path: disks.path, inMemory: disks.inMemory }, { path: onDisk, inMemory: false });
    const missing = await simulatedDisks(onDisk, 0, join(tmp, "no-such-dir"));
    assert.equal(missing.inMemory, false);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test("on a tmpfs: a fresh directory there, removed with what it holds", { skip: (await stat("/dev/shm").catch(() => null)) === null ? "no /dev/shm here" : false }, async (t) => {
  const disks = await simulatedDisks("/unused", 0);
  if (!disks.inMemory) return t.skip("/dev/shm is not a tmpfs here");
  assert.match(disks.path, /^\/dev\/shm\/binfleet-demo-/);
  await writeFile(join(disks.path, "f"), "x");
  await disks.remove();
  assert.equal(await stat(disks.path).catch(() => null), null);
});
