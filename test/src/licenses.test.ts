// One licence everywhere it is named: LICENSE at the root is the Apache License 2.0 that every
// package.json and both ebuilds name, and the ebuilds' LICENSE covers every npm package bundled
// into the programs (their licences, mapped to Gentoo's names).
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { makeRelease } from "@binfleet/release";
import { repoRoot } from "@binfleet/shared/testing";

const EBUILDS = ["gentoo/app-admin/binfleet/binfleet-0.1.0.ebuild", "gentoo/app-admin/binfleet-agent/binfleet-agent-0.1.0.ebuild"];
/** SPDX identifiers npm packages use, as Gentoo's licenses/ names them. */
const GENTOO_NAME: Record<string, string> = { "Apache-2.0": "Apache-2.0", MIT: "MIT", ISC: "ISC", "BSD-3-Clause": "BSD", "BSD-2-Clause": "BSD-2", Unlicense: "Unlicense", "0BSD": "0BSD" };

const ebuildLicenses = async (file: string): Promise<string[]> => /^LICENSE="([^"]*)"$/m.exec(await readFile(join(repoRoot, file), "utf8"))![1]!.split(/\s+/);

test("LICENSE is the Apache License 2.0 that package.json, every workspace and both ebuilds name", async () => {
  const text = await readFile(join(repoRoot, "LICENSE"), "utf8");
  assert.match(text, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
  const root = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { license: string; workspaces: string[] };
  assert.equal(root.license, "Apache-2.0");
  for (const ws of root.workspaces) {
    const pkg = JSON.parse(await readFile(join(repoRoot, ws, "package.json"), "utf8")) as { license?: string };
    assert.equal(pkg.license, "Apache-2.0", ws);
  }
  for (const e of EBUILDS) {
    assert.ok((await ebuildLicenses(e)).includes("Apache-2.0"), e);
    assert.match(await readFile(join(repoRoot, e), "utf8"), /^# Distributed under the terms of the Apache License 2\.0$/m, e);
  }
});

test("the ebuilds' LICENSE covers every package bundled into the programs", async () => {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-licenses-"));
  try {
    await cp(join(repoRoot, "gentoo"), join(tmp, "overlay"), { recursive: true });
    const release = await makeRelease({ outDir: join(tmp, "release"), overlay: join(tmp, "overlay") });
    assert.ok(release.licenses.size > 10, "the bundles' npm packages are known");
    const needed = new Set<string>();
    for (const [pkg, spdx] of release.licenses) {
      for (const id of spdx.replace(/[()]/g, "").split(/\s+(?:AND|OR)\s+/)) {
        const name = GENTOO_NAME[id];
        assert.ok(name !== undefined, `${pkg}: licence ${id} has no Gentoo name here: add it (and to the ebuilds' LICENSE)`);
        needed.add(name);
      }
    }
    for (const e of EBUILDS) {
      const named = await ebuildLicenses(e);
      assert.deepEqual([...needed].filter((n) => !named.includes(n)), [], `${e} names every bundled licence`);
    }
    assert.equal(await readFile(join(release.tree, "LICENSE"), "utf8"), await readFile(join(repoRoot, "LICENSE"), "utf8"));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
