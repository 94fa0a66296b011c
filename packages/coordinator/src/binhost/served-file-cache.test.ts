import assert from "node:assert/strict";
import { mkdtemp, open, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ServedFileCache } from "./served-file-cache.js";

describe("the binhost's cache of served files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "served-cache-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** What a request does: open the path, fstat what it opened, ask the cache; the response still sending until released. */
  const sending = async (cache: ServedFileCache, name: string) => {
    const handle = await open(join(dir, name));
    try {
      return await cache.content(handle, await handle.stat());
    } finally {
      await handle.close();
    }
  };
  /** A request whose response is sent at once. */
  const serve = async (cache: ServedFileCache, name: string): Promise<Buffer | null> => {
    const got = await sending(cache, name);
    got?.release();
    return got?.body ?? null;
  };

  test("a file is read once and served from memory after; one renamed over it is read anew", async () => {
    const cache = new ServedFileCache(1024 * 1024);
    await writeFile(join(dir, "a.gpkg.tar"), "first build\n");
    const first = await serve(cache, "a.gpkg.tar");
    assert.equal(first?.toString(), "first build\n");
    assert.equal(await serve(cache, "a.gpkg.tar"), first, "the same bytes from memory");
    // As a build or a re-signing replaces a package: a new file renamed over the path.
    await writeFile(join(dir, "a.tmp"), "second build\n");
    await rename(join(dir, "a.tmp"), join(dir, "a.gpkg.tar"));
    assert.equal((await serve(cache, "a.gpkg.tar"))?.toString(), "second build\n");
  });

  test("requests that arrive together read the file once", async () => {
    const cache = new ServedFileCache(1024 * 1024);
    await writeFile(join(dir, "b.gpkg.tar"), Buffer.alloc(64 * 1024, 7));
    const [x, y] = await Promise.all([serve(cache, "b.gpkg.tar"), serve(cache, "b.gpkg.tar")]);
    assert.equal(x, y);
    assert.equal(cache.size, 64 * 1024);
  });

  test("the budget holds: the least recently served go first; a file over an eighth of it is not kept", async () => {
    const cache = new ServedFileCache(8 * 1024);
    for (let i = 0; i < 9; i++) await writeFile(join(dir, `c${i}`), Buffer.alloc(1024, i));
    const first = [];
    for (let i = 0; i < 8; i++) first.push(await serve(cache, `c${i}`));
    assert.equal(await serve(cache, "c0"), first[0], "c0 served again: now the most recent");
    await serve(cache, "c8");
    assert.equal(cache.size, 8 * 1024);
    assert.equal(await serve(cache, "c0"), first[0], "c0 kept");
    const c1 = await serve(cache, "c1");
    assert.notEqual(c1, first[1], "c1, the least recently served, was dropped and is read again");
    assert.deepEqual(c1, Buffer.alloc(1024, 1));
    await writeFile(join(dir, "large"), Buffer.alloc(1025));
    assert.equal(await serve(cache, "large"), null, "streamed by the caller instead");
    assert.equal(await serve(new ServedFileCache(0), "c0"), null, "no budget: nothing kept");
  });

  test("what slow clients are still being sent counts: with no room left, a file is streamed, not kept", async () => {
    const cache = new ServedFileCache(8 * 1024);
    for (let i = 0; i < 9; i++) await writeFile(join(dir, `e${i}`), Buffer.alloc(1024, i));
    const slow = [];
    for (let i = 0; i < 8; i++) slow.push(await sending(cache, `e${i}`));
    assert.equal(await serve(cache, "e8"), null, "every entry is being sent: none can go");
    assert.equal(cache.size, 8 * 1024);
    slow[3]!.release();
    assert.deepEqual(await serve(cache, "e8"), Buffer.alloc(1024, 8), "e3's client is done: e3 goes, e8 is kept");
    assert.equal(cache.size, 8 * 1024);
    assert.equal(await serve(cache, "e0"), slow[0]!.body, "the others stay");
    for (const s of slow) s!.release();
  });

  test("a file cut short while it is read is an error, never a short body", async () => {
    const cache = new ServedFileCache(1024 * 1024);
    await writeFile(join(dir, "d"), Buffer.alloc(4096, 1));
    const handle = await open(join(dir, "d"));
    try {
      const st = await handle.stat();
      await truncate(join(dir, "d"), 100);
      await assert.rejects(cache.content(handle, st), /shrank to 100 of 4096 bytes/);
      assert.equal(cache.size, 0);
    } finally {
      await handle.close();
    }
  });
});
