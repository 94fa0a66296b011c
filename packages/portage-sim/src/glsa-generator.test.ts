import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseGlsa } from "@binfleet/shared";
import { parseCpv } from "@binfleet/shared/portage";
import { type AdvisoryCandidate, type GeneratedNode, chooseAdvisories, glsaXml } from "./glsa-generator.js";
import type { Ebuild } from "./repository.js";

const ebuild = (cpv: string, slot = "0", keywords = ["amd64", "x86"]): Ebuild => ({
  cpv: parseCpv(cpv),
  repo: "gentoo",
  slot,
  subslot: slot,
  eapi: "8",
  iuse: [],
  keywords,
  license: "MIT",
  description: "",
  homepage: "",
  definedPhases: "",
  requiredUse: "",
  rdepend: "",
  depend: "",
  bdepend: "",
  pdepend: "",
  cache: {},
});

/** Each platform sees every ebuild keyworded for its arch (a: amd64, b: x86). */
const candidate = (cp: string, versions: Ebuild[]): AdvisoryCandidate => ({ cp, versions, visible: (p, e) => e.keywords.includes(p === "a" ? "amd64" : "x86") });
const node = (name: string, platform: string, ...installed: string[]): GeneratedNode => ({ name, platform, installed: new Map(installed.map((c) => [parseCpv(c).cp, ebuild(c)])) });

describe("chooseAdvisories", () => {
  const candidates = [
    candidate("app-misc/everywhere", [ebuild("app-misc/everywhere-1.0"), ebuild("app-misc/everywhere-1.1")]),
    candidate("net-misc/some", [ebuild("net-misc/some-2.0"), ebuild("net-misc/some-2.1"), ebuild("net-misc/some-2.2", "0", ["~amd64", "x86"])]),
    candidate("dev-lang/slotted", [ebuild("dev-lang/slotted-3.11.1", "3.11"), ebuild("dev-lang/slotted-3.12.1", "3.12")]),
    candidate("app-misc/unused", [ebuild("app-misc/unused-0.1"), ebuild("app-misc/unused-0.2")]),
  ];
  const nodes = [
    node("n1", "a", "app-misc/everywhere-1.0", "net-misc/some-2.0"),
    node("n2", "b", "app-misc/everywhere-1.0", "net-misc/some-2.0"),
    node("n3", "a", "app-misc/everywhere-1.0", "net-misc/some-2.2"),
    node("n4", "b", "app-misc/everywhere-1.0", "dev-lang/slotted-3.11.1"),
  ];

  test("the fix is the newest version every platform sees; advisories hitting some nodes on several platforms come first", () => {
    const chosen = chooseAdvisories(candidates, nodes, ["a", "b"], "202611");
    assert.deepEqual(
      chosen.map((a) => [a.id, a.cp, a.fixed, a.nodes, a.platforms, a.severity]),
      [
        ["202611-01", "net-misc/some", "2.1", ["n1", "n2"], ["a", "b"], "high"],
        ["202611-02", "app-misc/everywhere", "1.1", ["n1", "n2", "n3", "n4"], ["a", "b"], "normal"],
        ["202611-03", "app-misc/unused", "0.2", [], [], "low"],
      ],
      "2.2 is ~amd64: not everywhere; n3's 2.2 is not vulnerable; slotted packages are left out",
    );
  });

  test("is the same for the same fleet", () => {
    assert.deepEqual(chooseAdvisories(candidates, nodes, ["a", "b"], "202611"), chooseAdvisories(candidates, [...nodes], ["a", "b"], "202611"));
  });
});

describe("glsaXml", () => {
  test("writes an advisory Portage's glsa module reads: ranges, severity, dates", () => {
    const a = parseGlsa(glsaXml({ id: "202611-01", cp: "dev-libs/foo", fixed: "1.2-r1", severity: "high", nodes: [], platforms: [] }, "2026-11-05"));
    assert.equal(a.id, "202611-01");
    assert.equal(a.title, "foo: Multiple Vulnerabilities");
    assert.equal(a.severity, "high");
    assert.equal(a.announced, "2026-11-05");
    assert.equal(a.revisionCount, 1);
  });

  test("its ranges are what the advisory says", () => {
    const a = parseGlsa(glsaXml({ id: "202611-02", cp: "dev-libs/foo", fixed: "1.2-r1", severity: "low", nodes: [], platforms: [] }, "2026-11-05"));
    assert.deepEqual(a.packages, [{ name: "dev-libs/foo", arch: "*", auto: true, vulnerable: [{ op: "lt", version: "1.2-r1", slot: null }], unaffected: [{ op: "ge", version: "1.2-r1", slot: null }] }]);
  });
});
