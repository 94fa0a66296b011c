import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BuilderTree } from "./builder-tree.js";

test("BuilderTree: an ebuild in any of the root's repositories; made-up and hostile names are not", async () => {
  const root = await mkdtemp(join(tmpdir(), "binfleet-tree-"));
  try {
    await mkdir(join(root, "var/db/repos/gentoo/dev-libs/openssl"), { recursive: true });
    await writeFile(join(root, "var/db/repos/gentoo/dev-libs/openssl/openssl-3.0.14.ebuild"), "EAPI=8\n");
    await mkdir(join(root, "var/db/repos/site/app-misc/tool"), { recursive: true });
    await writeFile(join(root, "var/db/repos/site/app-misc/tool/tool-1.0-r1.ebuild"), "EAPI=8\n");
    let calls = 0;
    const tree = new BuilderTree({ root, binds: [] }, async (args) => {
      calls++;
      if (args[0] === "get_repos") return { exitCode: 0, stdout: "gentoo site\n" };
      return { exitCode: 0, stdout: `/var/db/repos/${args[2]}\n` };
    });
    assert.equal(await tree.has("dev-libs/openssl-3.0.14"), true);
    assert.equal(await tree.has("app-misc/tool-1.0-r1"), true, "overlays count");
    assert.equal(await tree.has("dev-libs/openssl-9.9"), false);
    for (const bad of ["../../etc/passwd", "dev-libs/openssl", "dev-libs/../../x-1", ""]) assert.equal(await tree.has(bad), false, bad);
    assert.equal(calls, 3, "repository paths are asked once");
    tree.forget();
    await tree.has("dev-libs/openssl-3.0.14");
    assert.equal(calls, 6, "and again after a sync");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
