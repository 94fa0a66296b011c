import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { variantKey } from "../planning/build-planner.js";
import type { PlatformConfig } from "../config/coordinator-config.js";
import { coordinatorConfig } from "../config/coordinator-config.js";
import { PkgdirIndexes } from "./pkgdir-index.js";

const header = (n: number) => `ARCH: amd64\nPACKAGES: ${n}\nTIMESTAMP: 1700000000\nVERSION: 0\n\n`;
const entry = (cpv: string, use: string) => `BUILD_ID: 1\nCPV: ${cpv}\nIUSE: ssl\nPATH: ${cpv}-1.gpkg.tar\nSIZE: 100\nUSE: amd64 ${use}\n\n`;

describe("PkgdirIndexes", () => {
  let tmp: string;
  let p: PlatformConfig;
  /** Written as Portage writes it: a temp file renamed over the index. */
  const publish = async (text: string): Promise<void> => {
    await writeFile(join(tmp, "Packages.tmp"), text);
    await rename(join(tmp, "Packages.tmp"), join(tmp, "Packages"));
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-pkgdir-index-"));
    p = coordinatorConfig({ stateDir: tmp, platforms: [{ name: "amd64", key: "pk", root: tmp, pkgdir: "." }] }).platforms[0]!;
  });
  after(async () => rm(tmp, { recursive: true, force: true }));

  test("no index yet is null; an index is read once and served until it is replaced", async () => {
    const indexes = new PkgdirIndexes();
    assert.equal(await indexes.held(p), null);
    await publish(header(1) + entry("app-misc/a-1", "ssl"));
    const first = await indexes.held(p);
    assert.ok(first!.keys.has(variantKey({ platformKey: "pk", cpv: "app-misc/a-1", use: ["ssl"] })));
    assert.equal(await indexes.held(p), first, "unchanged: the same parse");
    await publish(header(2) + entry("app-misc/a-1", "ssl") + entry("app-misc/b-1", ""));
    const second = await indexes.held(p);
    assert.notEqual(second, first);
    assert.deepEqual(second!.variants.map((v) => v.key), [variantKey({ platformKey: "pk", cpv: "app-misc/a-1", use: ["ssl"] }), variantKey({ platformKey: "pk", cpv: "app-misc/b-1", use: [] })]);
  });
});
