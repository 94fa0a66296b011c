// test: long 35 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { buildOnFullDisk } from "./binhost-disk-full.js";

test("the binhost's disk fills during builds: they fail with ENOSPC, Packages stays valid and lists only whole files, nothing half-written is served", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-diskfull-"));
  try {
    const r = await buildOnFullDisk({ dir, log: createLogger({ name: "test", level: "error", destination: new PassThrough() }) });
    if (r.skipped !== null) return t.skip(r.skipped);
    assert.ok(r.failedForSpace > 0, "builds that did not fit failed for lack of space");
    assert.ok(r.succeeded > 0, "builds that fitted succeeded");
    assert.ok(r.indexEntries > 0);
    assert.deepEqual(r.badEntries, [], "every index entry is a whole file with its size and MD5");
    assert.deepEqual(r.stray, [], "no temp file, no package the index does not list");
    assert.equal(r.servedEntries, r.indexEntries, "the binhost serves that index");
    assert.equal(r.duplicateBuilds, 0, "no variant built twice");
    assert.ok(r.nodeBinaries > 0 && r.nodeEbuilds > 0, "the node takes the binaries that fitted and would compile the rest");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
