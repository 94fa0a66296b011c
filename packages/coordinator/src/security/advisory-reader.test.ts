import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { glsaXml } from "@binfleet/shared/testing";
import { readAdvisories } from "./advisory-reader.js";

const pkg = (name: string, fixed: string): string => `<package name="${name}" auto="yes" arch="*"><unaffected range="ge">${fixed}</unaffected><vulnerable range="lt">${fixed}</vulnerable></package>`;

describe("readAdvisories", () => {
  let repo: string;
  let other: string;
  before(async () => {
    const tmp = await mkdtemp(join(tmpdir(), "binfleet-glsa-reader-"));
    repo = join(tmp, "gentoo");
    other = join(tmp, "overlay");
    const dir = join(repo, "metadata/glsa");
    await mkdir(dir, { recursive: true });
    await mkdir(join(other, "metadata/glsa"), { recursive: true });
    await writeFile(join(dir, "glsa-202611-01.xml"), glsaXml(pkg("dev-libs/openssl", "3.0.14"), { id: "202611-01" }));
    // The billion laughs: entities expanding to gigabytes.
    const lol = `<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd" [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`;
    await writeFile(join(dir, "glsa-202611-02.xml"), glsaXml(pkg("dev-libs/expat", "&c;"), { id: "202611-02", doctype: lol }));
    // 50 MB (sparse: nothing is written, nothing may be read).
    await writeFile(join(dir, "glsa-202611-03.xml"), "");
    await truncate(join(dir, "glsa-202611-03.xml"), 50 * 1024 * 1024);
    await writeFile(join(dir, "glsa-202611-04.xml"), glsaXml('<package name="dev-libs/zlib" auto="yes" arch="*"><vulnerable range="lt">1..2</vulnerable></package>', { id: "202611-04" }));
    await writeFile(join(dir, "glsa-202611-05.xml"), glsaXml('<package name="dev-libs/zlib" auto="yes" arch="*"><vulnerable range="below">1.2</vulnerable></package>', { id: "202611-05" }));
    await writeFile(join(dir, "glsa-202611-06.xml"), glsaXml(pkg("dev-libs/zlib", "1.3"), { id: "202611-99" }));
    await symlink("/etc/passwd", join(dir, "glsa-202611-07.xml"));
    await writeFile(join(dir, "index.xml"), "<not an advisory/>");
    // A second repository with a later revision of the first advisory.
    await writeFile(join(other, "metadata/glsa/glsa-202611-01.xml"), glsaXml(pkg("dev-libs/openssl", "3.0.15"), { id: "202611-01" }).replace('count="2"', 'count="3"'));
  });
  after(() => rm(join(repo, ".."), { recursive: true, force: true }));

  test("reads the advisories; refuses hostile files one by one, each with its reason", async () => {
    const r = await readAdvisories([repo, join(repo, "..", "absent")]);
    assert.deepEqual([...r.advisories.keys()], ["202611-01"]);
    assert.equal(r.advisories.get("202611-01")!.packages[0]!.name, "dev-libs/openssl");
    const why = new Map(r.refused.map((x) => [x.file.replace(/^.*\//, ""), x.error]));
    assert.deepEqual([...why.keys()].sort(), ["glsa-202611-02.xml", "glsa-202611-03.xml", "glsa-202611-04.xml", "glsa-202611-05.xml", "glsa-202611-06.xml", "glsa-202611-07.xml"], "index.xml is not an advisory file");
    assert.match(why.get("glsa-202611-02.xml")!, /internal subset|entit/i);
    assert.match(why.get("glsa-202611-03.xml")!, /52428800 bytes: larger than 2097152/);
    assert.match(why.get("glsa-202611-04.xml")!, /'1\.\.2' is not a version/);
    assert.match(why.get("glsa-202611-05.xml")!, /invalid range 'below'/);
    assert.match(why.get("glsa-202611-06.xml")!, /<glsa id="202611-99"> in the file of advisory 202611-06/);
    assert.match(why.get("glsa-202611-07.xml")!, /not a regular file/);
  });

  test("an advisory in several repositories keeps its latest revision", async () => {
    const r = await readAdvisories([repo, other]);
    assert.equal(r.advisories.get("202611-01")!.revisionCount, 3);
    assert.equal(r.advisories.get("202611-01")!.packages[0]!.unaffected[0]!.version, "3.0.15");
  });
});
