import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cachedDirectory, treeDigest } from "./cached-builds.js";

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "binfleet-cache-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test("concurrent callers get one complete directory, and later callers reuse it without making it again", async () => {
  let made = 0;
  const make = async (dir: string): Promise<void> => {
    made++;
    await writeFile(join(dir, "result"), "built\n");
  };
  const cacheDir = join(tmp, "cache");
  const [a, b] = await Promise.all([cachedDirectory("thing-1", make, { cacheDir }), cachedDirectory("thing-1", make, { cacheDir })]);
  assert.equal(a, b);
  assert.equal(await readFile(join(a, "result"), "utf8"), "built\n");
  const madeBefore = made;
  const again = await cachedDirectory("thing-1", make, { cacheDir });
  assert.equal(again, a);
  assert.equal(made, madeBefore, "a later caller reuses the entry");
});

test("a failed make leaves nothing behind, so the next caller tries again", async () => {
  const cacheDir = join(tmp, "cache-fail");
  await assert.rejects(cachedDirectory("broken", async () => Promise.reject(new Error("build failed")), { cacheDir }), /build failed/);
  const dir = await cachedDirectory("broken", async (d) => writeFile(join(d, "ok"), ""), { cacheDir });
  assert.equal(await readFile(join(dir, "ok"), "utf8"), "");
});

test("the tree digest follows names, contents and symlink targets", async () => {
  const dir = join(tmp, "tree");
  await mkdir(join(dir, "sub"), { recursive: true });
  await writeFile(join(dir, "sub/a"), "1");
  await symlink("sub/a", join(dir, "link"));
  const d1 = treeDigest(dir);
  assert.equal(treeDigest(dir), d1);
  await writeFile(join(dir, "sub/a"), "2");
  const d2 = treeDigest(dir);
  assert.notEqual(d2, d1);
  await rm(join(dir, "link"));
  await symlink("sub", join(dir, "link"));
  assert.notEqual(treeDigest(dir), d2);
});
