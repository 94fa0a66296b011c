import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isConfigUrl, writeBinreposConf, writeMakeConfSettings, writeReposConf } from "./portage-config-files.js";

describe("binfleet's settings in a node's Portage configuration, files or directories", () => {
  let tmp: string;
  before(async () => void (tmp = await mkdtemp(join(tmpdir(), "binfleet-pcf-"))));
  after(() => rm(tmp, { recursive: true, force: true }));

  test("binrepos.conf as a directory (or absent): binfleet's own file in it", async () => {
    const root = join(tmp, "dir");
    const file = await writeBinreposConf(root, "http://binhost:8080/binhost/amd64", "enroll");
    assert.equal(file, join(root, "etc/portage/binrepos.conf/binfleet.conf"));
    assert.match(await readFile(file, "utf8"), /^# Written by binfleet-agent: .*\n# enroll\n\[binfleet\]\npriority = 10\nsync-uri = http:\/\/binhost:8080\/binhost\/amd64\n$/);
  });

  test("binrepos.conf as a file: a marked section appended, replaced on re-enrollment, the admin's sections kept", async () => {
    const root = join(tmp, "file");
    const conf = join(root, "etc/portage/binrepos.conf");
    await mkdir(join(root, "etc/portage"), { recursive: true });
    await writeFile(conf, "[gentoobinhost]\npriority = 1\nsync-uri = https://distfiles.gentoo.org/releases/amd64/binpackages/23.0/x86-64\n");
    assert.equal(await writeBinreposConf(root, "http://a:8080/binhost/amd64", "enroll"), conf);
    await writeBinreposConf(root, "http://b:8080/binhost/amd64", "enroll again");
    const text = await readFile(conf, "utf8");
    assert.ok(text.startsWith("[gentoobinhost]\npriority = 1\n"), "the admin's binrepo is kept");
    assert.equal(text.split("[binfleet]").length, 2, "one binfleet section");
    assert.match(text, /sync-uri = http:\/\/b:8080\/binhost\/amd64\n# END binfleet-agent\n$/);
    assert.doesNotMatch(text, /http:\/\/a:8080/);
  });

  test("repos.conf as a file keeps the admin's repositories and gets binfleet's sync section", async () => {
    const root = join(tmp, "repos");
    const conf = join(root, "etc/portage/repos.conf");
    await mkdir(join(root, "etc/portage"), { recursive: true });
    await writeFile(conf, "[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = /var/db/repos/gentoo\n");
    await writeReposConf(root, "gentoo", "rsync://binhost:873/gentoo");
    const text = await readFile(conf, "utf8");
    assert.match(text, /^\[DEFAULT\]\nmain-repo = gentoo\n\n\[gentoo\]\nlocation = \/var\/db\/repos\/gentoo\n# BEGIN binfleet-agent: [^\n]*\n\[gentoo\]\nsync-type = rsync\nsync-uri = rsync:\/\/binhost:873\/gentoo\n# END binfleet-agent\n$/);
  });

  test("make.conf as a file: one block of binfleet's settings, an older enrollment's block replaced", async () => {
    const root = join(tmp, "make");
    const conf = join(root, "etc/portage/make.conf");
    await mkdir(join(root, "etc/portage"), { recursive: true });
    await writeFile(conf, 'COMMON_FLAGS="-O2"\n# BEGIN binfleet-agent enroll: fetch distfiles from the binhost first\nGENTOO_MIRRORS="http://old ${GENTOO_MIRRORS}"\n# END binfleet-agent enroll\n');
    await writeMakeConfSettings(root, ['GENTOO_MIRRORS="http://new ${GENTOO_MIRRORS}"', 'PORTAGE_TRUST_HELPER=""']);
    await writeMakeConfSettings(root, ['GENTOO_MIRRORS="http://new ${GENTOO_MIRRORS}"', 'PORTAGE_TRUST_HELPER=""']);
    const text = await readFile(conf, "utf8");
    assert.doesNotMatch(text, /http:\/\/old/);
    assert.equal(text.split("GENTOO_MIRRORS=").length, 2);
    assert.match(text, /^COMMON_FLAGS="-O2"\n# BEGIN binfleet-agent: [^\n]*\nGENTOO_MIRRORS="http:\/\/new \$\{GENTOO_MIRRORS\}"\nPORTAGE_TRUST_HELPER=""\n# END binfleet-agent\n$/);
  });

  test("make.conf as a directory: binfleet's own last file", async () => {
    const root = join(tmp, "makedir");
    await mkdir(join(root, "etc/portage/make.conf"), { recursive: true });
    assert.equal(await writeMakeConfSettings(root, ['PORTAGE_TRUST_HELPER=""']), join(root, "etc/portage/make.conf/zz-binfleet.conf"));
  });

  test("only plain URLs of the expected schemes go into a config file", () => {
    assert.ok(isConfigUrl("http://binhost:8080/binhost/amd64", ["http:", "https:"]));
    for (const bad of ['http://x/"\nverify-signature = false', "http://x/$(id)", "ftp://x/", "not a url", "http://x/ y"]) assert.equal(isConfigUrl(bad, ["http:", "https:"]), false, bad);
  });
});
