import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { createLogger } from "@binfleet/daemon";
import { glsaXml } from "@binfleet/shared/testing";
import { type AgentReport, AgentReportSchema } from "@binfleet/shared/wire";
import { PlatformConfigSchema } from "../config/coordinator-config.js";
import { ExposureTracker } from "./exposure-tracker.js";
import type { ExposureRecord, NoticedAdvisory } from "./glsa-store.js";

const quiet = createLogger({ name: "test", level: "error", destination: new PassThrough() });
const pkg = (name: string, fixed: string): string => `<package name="${name}" auto="yes" arch="*"><unaffected range="ge">${fixed}</unaffected><vulnerable range="lt">${fixed}</vulnerable></package>`;

function report(node: string, installed: Record<string, string>, arch = "amd64"): AgentReport {
  return create(AgentReportSchema, {
    nodeId: node,
    platform: { key: "k1", arch },
    installed: Object.entries(installed).map(([cpv, slot]) => ({ cpv, slot, use: ["ssl"], iuse: ["+ssl", "zstd"] })),
  });
}

describe("ExposureTracker", () => {
  let repo: string;
  let store: { puts: ExposureRecord[]; deletes: string[]; noticed: NoticedAdvisory[] };
  let pquery: string[][];
  let visible: string;
  let scans: number;
  let now: number;
  const tracker = (): ExposureTracker =>
    new ExposureTracker({
      store: {
        putExposure: async (r) => void store.puts.push(r),
        deleteExposure: async (node, glsa) => void store.deletes.push(`${node}.${glsa}`),
        putNoticed: async (n) => void store.noticed.push(n),
      },
      platforms: { all: () => [PlatformConfigSchema.parse({ name: "p1", key: "k1", root: "/builders/p1" })], tree: () => ({ repositories: async () => [repo] }) },
      portageq: () => async (args) => (pquery.push([...args]), { exitCode: visible === "fail" ? 1 : 0, stdout: visible }),
      portage: { emerge: ["emerge"], portageq: ["portageq"], gpkgSign: ["gpkg-sign"], emaint: ["emaint"], env: {}, isolation: "none", bwrap: ["bwrap"], rootVariable: "ROOT" },
      forEachLatestReport: async (fn) => {
        scans++;
        fn(report("node-3", { "dev-libs/bar-0.9": "0" }));
      },
      now: () => now,
      log: quiet,
    });
  const advisory = (id: string, body: string, count = 1): Promise<void> => writeFile(join(repo, "metadata/glsa", `glsa-${id}.xml`), glsaXml(body, { id }).replace('count="2"', `count="${count}"`));

  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), "binfleet-exposure-"));
    await mkdir(join(repo, "metadata/glsa"), { recursive: true });
    await mkdir(join(repo, "metadata/md5-cache/dev-libs"), { recursive: true });
    for (const v of ["1.1", "1.2", "1.3"]) await writeFile(join(repo, "metadata/md5-cache/dev-libs", `foo-${v}`), `IUSE=+ssl zstd\nKEYWORDS=amd64\nSLOT=0\n`);
    await advisory("202611-01", pkg("dev-libs/foo", "1.2"));
    store = { puts: [], deletes: [], noticed: [] };
    pquery = [];
    visible = "dev-libs/foo-1.1\ndev-libs/foo-1.2\ndev-libs/foo-1.3\n";
    scans = 0;
    now = 1_000;
  });
  afterEach(() => rm(repo, { recursive: true, force: true }));

  test("a node with a vulnerable version is exposed, with its least fixing upgrade; the others are not", async () => {
    const t = tracker();
    assert.deepEqual(await t.refreshTree(false), ["202611-01"]);
    assert.deepEqual(pquery, [["pquery", "dev-libs/foo"]], "the platform's Portage is asked once, for the packages advisories name");
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0", "app-misc/other-2": "0" }));
    await t.report(report("node-2", { "dev-libs/foo-1.3": "0" }));
    await t.report(report("node-3", { "app-misc/other-2": "0" }));
    assert.deepEqual(t.exposed("202611-01"), [{ node: "node-1", glsa: "202611-01", platformKey: "k1", packages: [{ installed: "dev-libs/foo-1.1", fixed: "dev-libs/foo-1.2" }], firstSeen: 1_000 }]);
    assert.deepEqual(t.installed("node-1").map((e) => e.cpv), ["dev-libs/foo-1.1"], "only what advisories name is kept of a report");
    assert.deepEqual(t.iuse("k1", "dev-libs/foo-1.2"), ["+ssl", "zstd"]);
    assert.equal(t.advisories()[0]!.exposures.length, 1);
  });

  test("an unchanged exposure keeps its first sighting and is not stored again; an update ends it", async () => {
    const t = tracker();
    await t.refreshTree(false);
    const changes: string[][] = [];
    t.onChange((ids) => changes.push([...ids]));
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    now = 9_000;
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    assert.equal(store.puts.length, 1);
    assert.equal(t.exposed("202611-01")[0]!.firstSeen, 1_000);
    await t.report(report("node-1", { "dev-libs/foo-1.2": "0" }));
    assert.deepEqual(t.exposed("202611-01"), []);
    assert.deepEqual(store.deletes, ["node-1.202611-01"]);
    assert.deepEqual(changes, [["202611-01"], ["202611-01"]]);
  });

  test("exposures stored by an earlier run keep their first sighting", async () => {
    const t = tracker();
    t.restore({ exposures: [{ node: "node-1", glsa: "202611-01", platformKey: "k1", packages: [{ installed: "dev-libs/foo-1.1", fixed: "dev-libs/foo-1.2" }], firstSeen: 42 }], noticed: [{ id: "202611-01", revisionCount: 1, noticedAt: 7, reportedAt: 0 }], fixes: [] });
    assert.deepEqual(await t.refreshTree(false), [], "known already");
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    assert.equal(store.puts.length, 0);
    assert.equal(t.exposed("202611-01")[0]!.firstSeen, 42);
    assert.equal(t.advisories()[0]!.noticedAt, 7);
  });

  test("a sync brings a new advisory and a revision: both noticed; reports are read again for a package kept nowhere", async () => {
    const t = tracker();
    await t.refreshTree(false);
    assert.deepEqual(await t.refreshTree(true), []);
    assert.equal(scans, 0, "nothing new to read reports for");
    await advisory("202611-01", pkg("dev-libs/foo", "1.3"), 2);
    await advisory("202611-02", pkg("dev-libs/bar", "1.0"));
    assert.deepEqual((await t.refreshTree(true)).sort(), ["202611-01", "202611-02"]);
    assert.equal(scans, 1);
    assert.deepEqual(t.exposed("202611-02").map((e) => e.node), ["node-3"], "found in the report read again");
    assert.deepEqual(t.exposed("202611-02")[0]!.packages, [{ installed: "dev-libs/bar-0.9", fixed: "" }], "no visible version of bar fixes it");
  });

  test("nightly reports name each advisory affecting the fleet once: new ones, revisions, those that start to affect it", async () => {
    const t = tracker();
    await t.refreshTree(false);
    assert.deepEqual(await t.takeUnreported(), [], "nobody is exposed yet");
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    await advisory("202611-02", pkg("dev-libs/bar", "1.0"));
    await t.refreshTree(true);
    assert.deepEqual((await t.takeUnreported()).map((a) => [a.advisory.id, a.exposures.map((e) => e.node)]), [["202611-01", ["node-1"]], ["202611-02", ["node-3"]]]);
    assert.deepEqual(await t.takeUnreported(), [], "named once");
    assert.ok(store.noticed.some((n) => n.id === "202611-01" && n.reportedAt === 1_000), "kept in the bucket");
    await advisory("202611-01", pkg("dev-libs/foo", "1.3"), 2);
    await t.refreshTree(true);
    assert.deepEqual((await t.takeUnreported()).map((a) => a.advisory.id), ["202611-01"], "a revision is news again");
  });

  test("a hostile advisory file is refused and named; the others still count", async () => {
    await writeFile(join(repo, "metadata/glsa/glsa-202611-09.xml"), `<?xml version="1.0"?><!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd" [<!ENTITY x "y">]><glsa id="202611-09"/>`);
    const t = tracker();
    await t.refreshTree(false);
    assert.equal(t.refusedFiles().length, 1);
    assert.match(t.refusedFiles()[0]!.file, /glsa-202611-09\.xml$/);
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    assert.equal(t.exposed("202611-01").length, 1);
  });

  test("without the platform's visible versions a node is still exposed, with no fix named", async () => {
    visible = "fail";
    const t = tracker();
    await t.refreshTree(false);
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }));
    assert.deepEqual(t.exposed("202611-01")[0]!.packages, [{ installed: "dev-libs/foo-1.1", fixed: "" }]);
  });

  test("an advisory for other arches does not expose the node; a bad SLOT in a report is left out, not fatal", async () => {
    await advisory("202611-01", '<package name="dev-libs/foo" auto="yes" arch="x86"><unaffected range="ge">1.2</unaffected><vulnerable range="lt">1.2</vulnerable></package>');
    const t = tracker();
    await t.refreshTree(false);
    await t.report(report("node-1", { "dev-libs/foo-1.1": "0" }, "amd64"));
    await t.report(report("node-2", { "dev-libs/foo-1.1": "0" }, "x86"));
    await t.report(report("node-3", { "dev-libs/foo-1.0": "bad slot!" }, "x86"));
    assert.deepEqual(t.exposed("202611-01").map((e) => e.node), ["node-2"]);
  });
});
