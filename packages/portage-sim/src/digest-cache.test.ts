import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DigestCache } from "./digest-cache.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "binfleet-digest-cache-"));
});
after(() => rm(dir, { recursive: true, force: true }));

test("an answer put is got back by its key; another key misses", async () => {
  const cache = new DigestCache(join(dir, "a"));
  const key = DigestCache.key("zstd -d", Buffer.from("compressed"));
  assert.equal(await cache.get(key), null);
  await cache.put(key, Buffer.from("plain"));
  assert.equal((await cache.get(key))?.toString(), "plain");
  assert.equal(await cache.get(DigestCache.key("zstd -d", Buffer.from("compresse"))), null);
});

test("keys differ by kind and by where inputs split", () => {
  const ab = DigestCache.key("k", Buffer.from("a"), Buffer.from("b"));
  assert.notEqual(ab, DigestCache.key("k", Buffer.from("ab"), Buffer.alloc(0)));
  assert.notEqual(ab, DigestCache.key("other", Buffer.from("a"), Buffer.from("b")));
  assert.equal(ab, DigestCache.key("k", Buffer.from("a"), Buffer.from("b")));
});

test("a cache directory that cannot be made is no cache, not an error", async () => {
  const file = join(dir, "a-file");
  await writeFile(file, "not a directory");
  const cache = new DigestCache(join(file, "cache"));
  const key = DigestCache.key("k", Buffer.from("x"));
  await cache.put(key, Buffer.from("y"));
  assert.equal(await cache.get(key), null);
});

test("BINFLEET_SIM_CACHE turns the cache on; unset or blank, off", () => {
  assert.equal(DigestCache.fromEnv({}), null);
  assert.equal(DigestCache.fromEnv({ BINFLEET_SIM_CACHE: " " }), null);
  assert.equal(DigestCache.fromEnv({ BINFLEET_SIM_CACHE: dir })?.dir, dir);
});

test("remember computes once per cache object", async () => {
  const cache = new DigestCache(dir);
  let calls = 0;
  const compute = async (): Promise<string> => String(++calls);
  assert.equal(await cache.remember("v", compute), "1");
  assert.equal(await cache.remember("v", compute), "1");
  assert.equal(await new DigestCache(dir).remember("v", compute), "2");
});
