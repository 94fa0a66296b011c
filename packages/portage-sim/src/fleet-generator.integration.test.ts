import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { treeDigest } from "@binfleet/real-portage";
import { parseGlsa } from "@binfleet/shared";
import { compareVersions, parseCpv, parseEmergePretend, readVdb } from "@binfleet/shared/portage";
import { runTool } from "./cli.js";
import { type FleetManifest, generateFleet, platformDefs } from "./fleet-generator.js";
import { Repository } from "./repository.js";

async function emerge(root: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTool("emerge", argv, { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0" }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe("binfleet-sim fleet", () => {
  let tmp: string;
  let fleet: FleetManifest;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-fleet-"));
    fleet = await generateFleet({ nodes: 6, platforms: 3, seed: 42, out: join(tmp, "a") });
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  test("is deterministic for a seed", async () => {
    await generateFleet({ nodes: 6, platforms: 3, seed: 42, out: join(tmp, "b") });
    for (const part of ["repo", "nodes", "binhost"]) assert.equal(treeDigest(join(tmp, "a", part)), treeDigest(join(tmp, "b", part)), part);
    const other = await generateFleet({ nodes: 6, platforms: 3, seed: 43, out: join(tmp, "c") });
    assert.notEqual(other.snapshot + treeDigest(join(tmp, "c", "nodes")), fleet.snapshot + treeDigest(join(tmp, "a", "nodes")));
  });

  test("writes a real repository: a few thousand ebuilds of real names, md5-cache, Manifests, profiles", async () => {
    assert.ok(fleet.ebuilds > 1500, `${fleet.ebuilds} ebuilds`);
    const repo = await Repository.open(fleet.repo);
    assert.equal(repo.name, "gentoo");
    const ssh = await repo.versions("net-misc/openssh");
    assert.ok(ssh.length >= 4);
    assert.ok((await repo.distfiles("net-misc/openssh")).size >= 1);
    const cache = await readFile(join(fleet.repo, "metadata/md5-cache", ssh[0]!.cpv.category, `${ssh[0]!.cpv.package}-${ssh[0]!.cpv.version.raw}`), "utf8");
    assert.match(cache, /^BDEPEND=.*\n(?:.*\n)*EAPI=8\n(?:.*\n)*_md5_=[0-9a-f]{32}\n$/);
    const python = await repo.versions("dev-lang/python");
    assert.deepEqual([...new Set(python.map((e) => e.slot))].sort(), ["3.11", "3.12", "3.13"]);
    assert.ok((await readFile(join(fleet.repo, "metadata/timestamp.chk"), "utf8")).startsWith(fleet.snapshot));
  });

  test("nodes share a core, differ in extras, and lag the tree: emerge -pvuDN has work for them", async () => {
    const worlds = await Promise.all(fleet.nodes.map(async (n) => (await readFile(join(n.root, "var/lib/portage/world"), "utf8")).trim().split("\n")));
    const common = worlds.reduce((acc, w) => acc.filter((x) => w.includes(x)));
    assert.ok(common.length >= 10, `core of ${common.length}`);
    assert.ok(new Set(worlds.map((w) => w.join(" "))).size > 1, "worlds differ");
    assert.deepEqual(fleet.platforms.map((p) => p.name), platformDefs(3).map((p) => p.name));
    const node = fleet.nodes[0]!;
    assert.ok((await readVdb(join(node.root, "var/db/pkg"))).length === node.installed);
    const r = await emerge(node.root, ["--pretend", "--verbose", "--update", "--deep", "--newuse", "@world"]);
    assert.equal(r.code, 0, r.err);
    const plan = parseEmergePretend(r.out);
    assert.ok(plan.entries.length > 0 && plan.entries.every((e) => e.kind === "ebuild"));
    assert.equal(plan.total?.packages, plan.entries.length);
    assert.deepEqual(plan.notes.filter((n) => n.startsWith("[")), []);
  });

  test("the tree carries GLSAs exposing some nodes: those with an older version than the fix their platform sees", async () => {
    const affecting = fleet.advisories.filter((a) => a.nodes.length > 0);
    assert.ok(affecting.length >= 1 && fleet.advisories.length > affecting.length, "some advisories affect the fleet, one does not");
    for (const a of fleet.advisories) {
      const doc = parseGlsa(await readFile(join(fleet.repo, "metadata/glsa", `glsa-${a.id}.xml`)));
      assert.equal(doc.id, a.id);
      assert.deepEqual(doc.packages.map((p) => [p.name, p.vulnerable[0]!.op, p.vulnerable[0]!.version, p.unaffected[0]!.op]), [[a.cp, "lt", a.fixed, "ge"]]);
      assert.equal(doc.severity, a.severity);
      const fixed = parseCpv(`${a.cp}-${a.fixed}`).version;
      for (const n of fleet.nodes) {
        const has = (await readVdb(join(n.root, "var/db/pkg"))).find((e) => e.cpv.cp === a.cp);
        assert.equal(a.nodes.includes(n.name), has !== undefined && compareVersions(has.cpv.version, fixed) < 0, `${n.name} and ${a.id}`);
      }
    }
    const node = fleet.nodes.find((n) => affecting[0]!.nodes.includes(n.name))!;
    let out = "";
    const code = await runTool("portageq", ["pquery", affecting[0]!.cp], { BINFLEET_SIM_ROOT: node.root }, { out: (t) => void (out += t), err: () => undefined });
    assert.equal(code, 0);
    assert.ok(out.split("\n").includes(`${affecting[0]!.cp}-${affecting[0]!.fixed}`), `the fix is visible to ${node.name}: ${out}`);
  });
});
