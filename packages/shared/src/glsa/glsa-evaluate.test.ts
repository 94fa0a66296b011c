// Verdicts worked out by hand from lib/portage/glsa.py; glsa-portage.test.ts checks the same
// code against real Portage on thousands of generated cases.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { GlsaEvaluationError } from "../errors.js";
import { fixture, glsaXml, noFixtures } from "../testing.js";
import { type GlsaAdvisory, parseGlsa } from "./glsa.js";
import { type GlsaVerdict, evaluateGlsa } from "./glsa-evaluate.js";
import { PackageSet } from "./package-set.js";

type Pkgs = readonly (string | [string, string])[];
const set = (pkgs: Pkgs): PackageSet => PackageSet.of(pkgs.map((p) => (typeof p === "string" ? { cpv: p, slot: "0" } : { cpv: p[0], slot: p[1] })));
const verdict = (a: GlsaAdvisory, installed: Pkgs, available: Pkgs, arch = "amd64"): GlsaVerdict => evaluateGlsa(a, { arch, installed: set(installed), available: set(available) });
const brief = (v: GlsaVerdict): { vulnerable: boolean; minUpgrade: readonly string[] } => ({ vulnerable: v.vulnerable, minUpgrade: v.minUpgrade });
const foo = (lines: string, arch = "*"): string => `<package name="app-misc/foo" auto="yes" arch="${arch}">${lines}</package>`;

describe("evaluateGlsa", () => {
  const simple = parseGlsa(glsaXml(foo(`<unaffected range="ge">1.2</unaffected><vulnerable range="lt">1.2</vulnerable>`)));

  test("vulnerable below the fix; the least upgrade is the lowest unaffected version above it", () => {
    const v = verdict(simple, ["app-misc/foo-1.0"], ["app-misc/foo-1.0", "app-misc/foo-1.3", "app-misc/foo-1.2-r1", "app-misc/foo-1.1"]);
    assert.deepEqual(v, { vulnerable: true, minUpgrade: ["app-misc/foo-1.2-r1"], affected: [{ installed: "app-misc/foo-1.0", upgrade: "app-misc/foo-1.2-r1" }] });
    assert.deepEqual(brief(verdict(simple, ["app-misc/foo-1.2"], ["app-misc/foo-1.3"])), { vulnerable: false, minUpgrade: [] });
    assert.deepEqual(brief(verdict(simple, ["app-misc/bar-1.0"], ["app-misc/foo-1.3"])), { vulnerable: false, minUpgrade: [] });
  });

  test("vulnerable with nothing to upgrade to: minUpgrade is empty, the table says null", () => {
    const v = verdict(simple, ["app-misc/foo-1.0"], ["app-misc/foo-1.1"]);
    assert.deepEqual(v, { vulnerable: true, minUpgrade: [], affected: [{ installed: "app-misc/foo-1.0", upgrade: null }] });
  });

  test("upgrades stay in the installed version's SLOT (the slot, not the sub-slot)", () => {
    const v = verdict(simple, [["app-misc/foo-1.0", "0/1"], ["app-misc/foo-1.1", "1"]], [["app-misc/foo-1.2", "1"], ["app-misc/foo-2", "0/2"], ["app-misc/foo-3", "0/3"]]);
    assert.deepEqual(v.affected, [{ installed: "app-misc/foo-1.0", upgrade: "app-misc/foo-2" }, { installed: "app-misc/foo-1.1", upgrade: "app-misc/foo-1.2" }]);
    assert.deepEqual(v.minUpgrade, ["app-misc/foo-1.2", "app-misc/foo-2"]);
  });

  test("several unaffected branches: the least change, not the newest branch", () => {
    const racoon = parseGlsa(glsaXml(foo(`<unaffected range="rge">0.4-r1</unaffected><unaffected range="ge">0.5-r1</unaffected><vulnerable range="lt">0.5-r1</vulnerable>`)));
    assert.deepEqual(brief(verdict(racoon, ["app-misc/foo-0.4"], ["app-misc/foo-0.4-r1", "app-misc/foo-0.4-r2", "app-misc/foo-0.5-r1"])), { vulnerable: true, minUpgrade: ["app-misc/foo-0.4-r1"] });
    assert.deepEqual(brief(verdict(racoon, ["app-misc/foo-0.4-r3"], ["app-misc/foo-0.5-r1"])), { vulnerable: false, minUpgrade: [] });
    // rge keeps the version: 0.3 is vulnerable and 0.4-r1 (a newer version in the rge branch) is not "a revision of 0.3", yet it is unaffected and above.
    assert.deepEqual(brief(verdict(racoon, ["app-misc/foo-0.3"], ["app-misc/foo-0.4-r1", "app-misc/foo-0.5-r1"])), { vulnerable: true, minUpgrade: ["app-misc/foo-0.4-r1"] });
  });

  test("revision ranges compare revisions of the same version only", () => {
    const a = parseGlsa(glsaXml(foo(`<vulnerable range="rlt">1.0-r3</vulnerable><vulnerable range="rgt">2.0</vulnerable>`)));
    assert.equal(verdict(a, ["app-misc/foo-1.0-r2"], []).vulnerable, true);
    assert.equal(verdict(a, ["app-misc/foo-1.0-r3"], []).vulnerable, false);
    assert.equal(verdict(a, ["app-misc/foo-0.9"], []).vulnerable, false);
    assert.equal(verdict(a, ["app-misc/foo-2.0-r1"], []).vulnerable, true);
    assert.equal(verdict(a, ["app-misc/foo-2.0"], []).vulnerable, false);
    assert.equal(verdict(a, ["app-misc/foo-2.00-r1"], []).vulnerable, false, "~2.0 does not match 2.00");
  });

  test("an installed version in an unaffected range is not vulnerable, and is not an upgrade", () => {
    const a = parseGlsa(glsaXml(foo(`<unaffected range="eq">1.0-r5</unaffected><unaffected range="ge">2</unaffected><vulnerable range="lt">2</vulnerable>`)));
    assert.equal(verdict(a, ["app-misc/foo-1.0-r5"], ["app-misc/foo-2"]).vulnerable, false);
    const v = verdict(a, ["app-misc/foo-1.0-r5", ["app-misc/foo-0.9", "1"]], [["app-misc/foo-1.0-r5", "1"], ["app-misc/foo-2", "1"]]);
    assert.deepEqual(brief(v), { vulnerable: true, minUpgrade: ["app-misc/foo-2"] });
  });

  test("arch lists: ARCH must be listed (or *); a vulnerable system's upgrades span every package", () => {
    const a = parseGlsa(glsaXml(foo(`<unaffected range="ge">2</unaffected><vulnerable range="lt">2</vulnerable>`, "x86 arm64") + `<package name="dev-libs/bar" auto="no" arch="amd64"><unaffected range="ge">5</unaffected><vulnerable range="lt">5</vulnerable></package>`));
    const installed = ["app-misc/foo-1", "dev-libs/bar-6"];
    const available = ["app-misc/foo-2", "dev-libs/bar-6"];
    assert.deepEqual(brief(verdict(a, installed, available, "amd64")), { vulnerable: false, minUpgrade: [] });
    assert.deepEqual(brief(verdict(a, installed, available, "arm64")), { vulnerable: true, minUpgrade: ["app-misc/foo-2"] });
    assert.deepEqual(brief(verdict(a, ["app-misc/foo-1", "dev-libs/bar-4"], [...available, "dev-libs/bar-5"], "amd64")), { vulnerable: true, minUpgrade: ["app-misc/foo-2", "dev-libs/bar-5"] });
  });

  test("slot-qualified ranges match only that slot", () => {
    const a = parseGlsa(glsaXml(foo(`<unaffected range="ge" slot="2">2.5</unaffected><vulnerable range="lt" slot="2">2.5</vulnerable>`)));
    assert.equal(verdict(a, [["app-misc/foo-1.0", "1"]], []).vulnerable, false);
    assert.deepEqual(brief(verdict(a, [["app-misc/foo-2.1", "2/2.1"]], [["app-misc/foo-2.5", "2/2.5"], ["app-misc/foo-3", "3"]])), { vulnerable: true, minUpgrade: ["app-misc/foo-2.5"] });
  });

  test("an upgrade spelled -r0 is named without it", () => {
    const v = verdict(simple, ["app-misc/foo-1.0"], ["app-misc/foo-1.2-r0", "app-misc/foo-1.2"]);
    assert.deepEqual(v.minUpgrade, ["app-misc/foo-1.2"]);
  });

  test("where Portage raises, a GlsaEvaluationError names the atom; where it would not get there, a verdict", () => {
    const a = parseGlsa(glsaXml(foo(`<unaffected range="rge" slot="0">1.0-r1</unaffected><vulnerable range="lt">2</vulnerable>`), { id: "209901-07" }));
    assert.throws(() => verdict(a, ["app-misc/foo-1.0-r2"], []), (err: unknown) => err instanceof GlsaEvaluationError && err.glsaId === "209901-07" && err.atom === ">=~app-misc/foo-1.0-r1:0");
    assert.deepEqual(brief(verdict(a, ["app-misc/foo-1.5"], [])), { vulnerable: true, minUpgrade: [] });
    assert.throws(() => verdict(simple, ["app-misc/foo-1.0"], ["app-misc/foo-1.2-r0"]), /looks up app-misc\/foo-1.2, which is not available/);
    const lead = parseGlsa(glsaXml(foo(`<vulnerable range="rle">1.0-r01</vulnerable>`)));
    assert.throws(() => verdict(lead, ["app-misc/foo-1.0-r1"], []), /leading zero/);
  });

  test("once parsed, an advisory answers for any number of systems", () => {
    const answers = ["1.0", "1.1", "1.2", "1.3"].map((v) => verdict(simple, [`app-misc/foo-${v}`], ["app-misc/foo-1.2"]).vulnerable);
    assert.deepEqual(answers, [true, true, false, false]);
  });
});

describe("evaluateGlsa on real advisories", { skip: noFixtures }, () => {
  const read = (name: string): GlsaAdvisory => parseGlsa(readFileSync(fixture("real/glsa", name)));

  test("glsa-202305-02: python's slot-qualified pairs, and the slot=\"12\" slip matches no python 3.12", () => {
    const a = read("glsa-202305-02.xml");
    const v = verdict(a, [["dev-lang/python-3.10.8_p2", "3.10"], ["dev-lang/python-3.11.0_p2", "3.11"], ["dev-lang/python-3.12.0_alpha1", "3.12"]], [["dev-lang/python-3.10.8_p3", "3.10"], ["dev-lang/python-3.10.9", "3.10"], ["dev-lang/python-3.12.0_alpha1_p2", "3.12"]]);
    assert.deepEqual(brief(v), { vulnerable: true, minUpgrade: ["dev-lang/python-3.10.8_p3"] });
  });

  test("glsa-200608-23: rge without a revision covers every revision of 1.2.5", () => {
    const a = read("glsa-200608-23.xml");
    assert.equal(verdict(a, ["sys-cluster/heartbeat-1.2.5-r3"], []).vulnerable, false);
    assert.deepEqual(brief(verdict(a, ["sys-cluster/heartbeat-1.2.4"], ["sys-cluster/heartbeat-1.2.5", "sys-cluster/heartbeat-2.0.7"])), { vulnerable: true, minUpgrade: ["sys-cluster/heartbeat-1.2.5"] });
  });

  test("glsa-202405-02: two branches; 7.1.1.15 sits between the vulnerable and fixed bounds", () => {
    const a = read("glsa-202405-02.xml");
    assert.equal(verdict(a, ["media-gfx/imagemagick-7.1.1.15"], []).vulnerable, false);
    assert.deepEqual(brief(verdict(a, ["media-gfx/imagemagick-6.9.12.50"], ["media-gfx/imagemagick-6.9.13.0", "media-gfx/imagemagick-7.1.1.22"])), { vulnerable: true, minUpgrade: ["media-gfx/imagemagick-6.9.13.0"] });
  });

  test("glsa-202408-02: firefox and firefox-bin in the named slots rapid and esr", () => {
    const a = read("glsa-202408-02.xml");
    const v = verdict(a, [["www-client/firefox-115.11.0", "esr"], ["www-client/firefox-bin-127.0", "rapid"]], [["www-client/firefox-115.12.0", "esr"], ["www-client/firefox-128.0", "rapid"]]);
    assert.deepEqual(brief(v), { vulnerable: true, minUpgrade: ["www-client/firefox-115.12.0"] });
  });
});
