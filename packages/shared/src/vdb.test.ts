import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { PortageFormatError } from "./errors.js";
import { parseContents, parseVdbEntry, readVdb, readVdbEntry } from "./vdb.js";
import { fixture, noFixtures } from "./testing.js";

describe("vdb on real entries", { skip: noFixtures }, () => {
  test("reads every fixture vdb root", async () => {
    for (const root of ["node-initial", "node-after-update", "builder"]) {
      const pkgs = await readVdb(fixture("portage/vdb", root));
      assert.ok(pkgs.length >= 4, root);
      for (const p of pkgs) assert.equal(p.repo, "gentoo", `${root}: ${p.cpv.cpv}`);
    }
  });

  test("binary-installed packages carry BUILD_ID and BINPKGMD5; source builds do not", async () => {
    const pkgs = await readVdb(fixture("portage/vdb/node-after-update"));
    const hello = pkgs.find((p) => p.cpv.cpv === "app-misc/hello-1.1")!;
    assert.deepEqual([hello.buildId, hello.binpkgMd5, hello.use, hello.iuse, hello.counter], [1, "e27c153221e6119c756d6e9d090233b1", ["amd64", "bar"], ["foo", "+bar"], 4]);
    const libdemo2 = pkgs.find((p) => p.cpv.cpv === "dev-libs/libdemo-2.0")!;
    assert.deepEqual([libdemo2.slot, libdemo2.subslot, libdemo2.buildId, libdemo2.binpkgMd5], ["2", "2.0", null, null]);
    assert.equal(pkgs.find((p) => p.cpv.package === "rcpkg")!.cpv.version.raw, "2.0_rc1-r1");
  });

  test("a pruned real-world entry (no SLOT, repository, COUNTER) still reads, CONTENTS with symlinks too", async () => {
    const dir = fixture("real/vdb-portage-utils-tests/app-shells/bash-4.4_p23-r1");
    const bash = await readVdbEntry(dir, "app-shells", "bash-4.4_p23-r1");
    assert.deepEqual([bash.slot, bash.repo, bash.counter, bash.cpv.version.raw], ["0", null, null, "4.4_p23-r1"]);
    const contents = parseContents(readFileSync(`${dir}/CONTENTS`, "utf8"));
    assert.ok(contents.some((c) => c.type === "sym" && c.target.length > 0));
    assert.ok(contents.some((c) => c.type === "obj" && c.path.includes("@")));
  });
});

describe("vdb", () => {
  test("CATEGORY/PF must agree with the directory", () => {
    assert.throws(() => parseVdbEntry("app-misc", "hello-1.0", { PF: "hello-2.0\n" }), PortageFormatError);
    assert.equal(parseVdbEntry("app-misc", "hello-1.0", { PF: "hello-1.0\n", SLOT: "0/1\n" }).subslot, "1");
  });

  test("CONTENTS paths with spaces; malformed lines are errors", () => {
    assert.deepEqual(parseContents("obj /usr/share/a b.txt d41d8cd98f00b204e9800998ecf8427e 1700000000\n"), [
      { type: "obj", path: "/usr/share/a b.txt", md5: "d41d8cd98f00b204e9800998ecf8427e", mtime: 1700000000 },
    ]);
    assert.throws(() => parseContents("obj /x nothex 1\n"), PortageFormatError);
    assert.throws(() => parseContents("bogus /x\n"), PortageFormatError);
  });

  test("a missing vdb root is an empty system", async () => {
    assert.deepEqual(await readVdb("/nonexistent/binfleet/vdb"), []);
  });
});
