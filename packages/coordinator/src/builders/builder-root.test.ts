import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BuilderRootError, createBuilderRoot } from "./builder-root.js";

describe("createBuilderRoot: a builder root from the site's root and a node's settings", () => {
  let tmp: string;
  let template: string;
  const settings = { arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: "-O2 -pipe -march=x86-64-v3", cxxflags: "-O2 -pipe -march=x86-64-v3", ldflags: "-Wl,-O1 -Wl,--as-needed", profile: "default/linux/amd64/23.0", acceptKeywords: "amd64 ~amd64", binpkgFormat: "gpkg" };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-builder-root-"));
    template = join(tmp, "site");
    await mkdir(join(template, "etc/portage/repos.conf"), { recursive: true });
    await mkdir(join(template, "etc/portage/gnupg-signing"), { recursive: true });
    await mkdir(join(tmp, "tree/profiles/default/linux/amd64/23.0"), { recursive: true });
    await mkdir(join(template, "var/db/repos"), { recursive: true });
    await symlink(join(tmp, "tree"), join(template, "var/db/repos/gentoo"));
    await writeFile(join(template, "etc/portage/make.conf"), 'COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nFEATURES="buildpkg binpkg-signing"\n');
    await writeFile(join(template, "etc/portage/repos.conf/gentoo.conf"), "[gentoo]\nlocation = /var/db/repos/gentoo\n");
    await writeFile(join(template, "etc/portage/gnupg-signing/secring"), "secret");
    await symlink("../../var/db/repos/gentoo/profiles/binfleet/amd64", join(template, "etc/portage/make.profile"));
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  test("site configuration kept, the node's settings win, its profile in the same tree, no signing keys copied", async () => {
    const dir = join(tmp, "new");
    await createBuilderRoot({ template, dir, settings, from: "node-7" });
    const makeConf = await readFile(join(dir, "etc/portage/make.conf"), "utf8");
    assert.ok(makeConf.startsWith('COMMON_FLAGS="-O2 -pipe"\nCFLAGS="${COMMON_FLAGS}"\nFEATURES="buildpkg binpkg-signing"\n'), "the site's settings first");
    assert.match(makeConf, /# binfleet platforms create: the platform of node-7\nCHOST="x86_64-pc-linux-gnu"\nCFLAGS="-O2 -pipe -march=x86-64-v3"\n/);
    assert.match(makeConf, /\nACCEPT_KEYWORDS="amd64 ~amd64"\nBINPKG_FORMAT="gpkg"\n$/);
    assert.equal(await readlink(join(dir, "etc/portage/make.profile")), "../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0");
    assert.equal(await realpath(join(dir, "etc/portage/make.profile")), await realpath(join(tmp, "tree/profiles/default/linux/amd64/23.0")));
    assert.equal(await readFile(join(dir, "etc/portage/repos.conf/gentoo.conf"), "utf8"), "[gentoo]\nlocation = /var/db/repos/gentoo\n");
    assert.deepEqual(await readdir(join(dir, "etc/portage")).then((e) => e.sort()), ["make.conf", "make.profile", "repos.conf"]);
    assert.deepEqual(await readdir(join(dir, "var/db/pkg")), [], "an empty vdb");
    assert.equal(await readFile(join(dir, "var/lib/portage/world"), "utf8"), "");
  });

  test("settings that would inject into make.conf, a profile outside the tree, or an existing root are refused", async () => {
    const bad = [
      { ...settings, cflags: '-O2"\nFEATURES="-binpkg-request-signature' },
      { ...settings, ldflags: "$(touch /tmp/x)" },
      { ...settings, profile: "../../../../etc" },
      { ...settings, profile: "default/linux/amd64/23.0\nx" },
    ];
    for (const [i, s] of bad.entries()) {
      const dir = join(tmp, `bad-${i}`);
      await assert.rejects(createBuilderRoot({ template, dir, settings: s, from: "node-7" }), BuilderRootError);
      await assert.rejects(readdir(dir), "nothing made");
    }
    await assert.rejects(createBuilderRoot({ template, dir: join(tmp, "new"), settings, from: "node-7" }), /exists and is not empty/);
  });
});
