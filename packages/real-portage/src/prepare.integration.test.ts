import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PortageSourceError } from "./errors.js";
import { locatePortage, skipNote } from "./locate.js";
import { preparePortage } from "./prepare.js";

const location = locatePortage();

describe("preparePortage", { skip: location === null ? skipNote : false }, () => {
  const dirs: string[] = [];
  const temp = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), "binfleet-prepare-"));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test("concurrent callers get one complete, compiled entry keyed by the tarball's digest", async () => {
    const cacheDir = await temp();
    const [a, b] = await Promise.all([preparePortage({ cacheDir }), preparePortage({ cacheDir })]);
    assert.equal(a.dir, b.dir);
    assert.match(a.dir, /portage-[0-9a-f]{16}$/);
    assert.ok(existsSync(join(a.lib, "portage/__init__.py")));
    assert.ok(existsSync(join(a.bin, "emerge")));
    assert.ok(existsSync(join(a.cnf, "make.globals")));
    assert.ok(existsSync(join(a.lib, "portage/__pycache__")), "bytecode written once, as machines mount the source read-only");
    assert.equal((await readFile(join(a.dir, "SHA256"), "utf8")).split(" ")[0], a.sha256);
    for (const tool of ["gtar", "python"]) assert.ok(existsSync(join(a.tools, tool)), tool);
  });

  test("a tarball that does not match SHA256SUMS is refused", async () => {
    const dir = await temp();
    const tarball = join(dir, "portage-x.tar.gz");
    await writeFile(tarball, "not portage");
    await writeFile(join(dir, "SHA256SUMS"), `${"0".repeat(64)}  portage-x.tar.gz\n`);
    await assert.rejects(preparePortage({ cacheDir: join(dir, "cache"), location: { tarball, sums: join(dir, "SHA256SUMS"), repo: location!.repo } }), (err: unknown) => {
      assert.ok(err instanceof PortageSourceError);
      assert.equal(err.tarball, tarball);
      assert.match(err.message, /SHA256SUMS says 0{64}/);
      return true;
    });
    assert.equal(existsSync(join(dir, "cache")), false);
  });

  test("a cache directory every machine would hide is refused", async () => {
    await assert.rejects(preparePortage({ cacheDir: "/var/cache/binfleet-portage-test" }), /under \/etc, \/usr, \/var, \/run/);
  });
});
