import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VdbCache } from "./vdb-cache.js";

let vdb: string;
before(async () => {
  vdb = await mkdtemp(join(tmpdir(), "binfleet-agent-vdb-"));
});
after(() => rm(vdb, { recursive: true, force: true }));

async function entry(pf: string, slot: string, dir = join(vdb, "app-misc", pf)): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "SLOT"), `${slot}\n`);
  await writeFile(join(dir, "repository"), "gentoo\n");
  return dir;
}

test("an entry whose directory is unchanged is not read again; a replaced one is; a removed one is gone", async () => {
  const cache = new VdbCache(vdb);
  const hello = await entry("hello-1.0", "0");
  // Whole seconds: utimes keeps them exactly, so the directory can be given back its mtime below.
  const then = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  await utimes(hello, then, then);
  await entry("other-2.0", "2");
  assert.deepEqual((await cache.read()).map((p) => [p.cpv.cpv, p.slot]), [["app-misc/hello-1.0", "0"], ["app-misc/other-2.0", "2"]]);

  // A file changed in place, the directory's mtime kept: the cached parse stands (what proves the cache is used).
  await writeFile(join(hello, "SLOT"), "5\n");
  await utimes(hello, then, then);
  assert.equal((await cache.read())[0]!.slot, "0");

  // As a merge does it: a new directory written aside and renamed over the old one.
  const aside = await entry("hello-1.0", "1", join(vdb, "app-misc", ".hello-1.0.new"));
  await rm(hello, { recursive: true });
  await rename(aside, hello);
  assert.deepEqual((await cache.read()).map((p) => [p.cpv.cpv, p.slot]), [["app-misc/hello-1.0", "1"], ["app-misc/other-2.0", "2"]]);

  await rm(join(vdb, "app-misc", "other-2.0"), { recursive: true });
  assert.deepEqual((await cache.read()).map((p) => p.cpv.cpv), ["app-misc/hello-1.0"]);
});

test("a missing vdb is no packages", async () => {
  assert.deepEqual(await new VdbCache(join(vdb, "nowhere")).read(), []);
});
