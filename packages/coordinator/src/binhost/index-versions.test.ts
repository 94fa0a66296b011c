import assert from "node:assert/strict";
import { mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { IndexVersions, PORTAGE_TIMESTAMP_TOLERANCE, headerTimestamp } from "./index-versions.js";

describe("IndexVersions", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "binfleet-index-versions-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes an index as Portage does (a new file renamed over the old) and asks for its Last-Modified. */
  const served = async (versions: IndexVersions, name: string, timestamp: number | null, body = ""): Promise<number | null> => {
    const file = join(dir, name);
    const text = `ARCH: amd64\n${timestamp === null ? "" : `TIMESTAMP: ${timestamp}\n`}VERSION: 0\n\n${body}`;
    await writeFile(`${file}.tmp`, name.endsWith(".gz") ? gzipSync(text) : text);
    await rename(`${file}.tmp`, file);
    return lastModified(versions, file);
  };
  const lastModified = async (versions: IndexVersions, file: string): Promise<number | null> => {
    const handle = await open(file);
    try {
      return await versions.lastModified(file, handle, await handle.stat());
    } finally {
      await handle.close();
    }
  };
  /** Whether a Portage client holding an index with this TIMESTAMP would be answered 304. */
  const portage304 = (held: number, lm: number): boolean => held + PORTAGE_TIMESTAMP_TOLERANCE >= lm;

  test("each new index is past what clients of the ones before could send; its own holders still get a 304", async () => {
    const v = new IndexVersions();
    const t = 1_790_000_000;
    const first = (await served(v, "Packages", t, "CPV: a-1\n\n"))!;
    assert.equal(first, t + PORTAGE_TIMESTAMP_TOLERANCE, "nothing known of earlier indexes: taken to be at least a second older");
    assert.equal(portage304(t, first), true);
    const second = (await served(v, "Packages", t + 2, "CPV: a-2\n\n"))!;
    assert.equal(portage304(t, second), false, "a client of the first is sent the second");
    assert.equal(portage304(t + 2, second), true);
    assert.ok(second > first, "later than the first's Last-Modified (clients that send it back)");
    const quiet = (await served(v, "Packages", t + 100, "CPV: a-3\n\n"))!;
    assert.equal(quiet, t + 100, "long after: its own TIMESTAMP");
  });

  test("an index whose TIMESTAMP did not move is never 304 to the holders of the one before", async () => {
    const v = new IndexVersions();
    const t = 1_790_000_000;
    await served(v, "Packages", t, "CPV: a-1\n\n");
    const same = (await served(v, "Packages", t, "CPV: a-1\n\nCPV: b-1\n\n"))!;
    assert.equal(portage304(t, same), false);
    assert.ok(same > t, "Portage takes it: Last-Modified is later than its copy's TIMESTAMP");
  });

  test("the same content is the same version, however often it is asked for or renamed into place", async () => {
    const v = new IndexVersions();
    const first = await served(v, "Packages", 1_790_000_000, "CPV: a-1\n\n");
    assert.equal(await lastModified(v, join(dir, "Packages")), first);
    assert.equal(await served(v, "Packages", 1_790_000_000, "CPV: a-1\n\n"), first, "rewritten unchanged");
  });

  test("Packages.gz is read through gzip; an index without TIMESTAMP is no index", async () => {
    const v = new IndexVersions();
    assert.equal(await served(v, "Packages.gz", 1_790_000_000), 1_790_000_000 + PORTAGE_TIMESTAMP_TOLERANCE);
    assert.equal(await served(v, "Packages", null), null);
    await writeFile(join(dir, "Packages.gz"), "not gzip");
    assert.equal(await lastModified(v, join(dir, "Packages.gz")), null);
  });

  test("TIMESTAMP is read from the header only", () => {
    assert.equal(headerTimestamp("ARCH: amd64\nTIMESTAMP: 1790000000\n\nCPV: a-1\n"), 1_790_000_000);
    assert.equal(headerTimestamp("ARCH: amd64\n\nTIMESTAMP: 1790000000\n"), null);
    assert.equal(headerTimestamp("TIMESTAMP: soon\n\n"), null);
  });
});
