import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { GlsaEvaluationError, GlsaFormatError, PortageFormatError } from "../errors.js";
import { fixture, glsaXml, noFixtures, seededRandom } from "../testing.js";
import { type GlsaAdvisory, parseGlsa } from "./glsa.js";
import { evaluateGlsa } from "./glsa-evaluate.js";
import { PackageSet } from "./package-set.js";

const FOO = (lines: string, attrs = `auto="yes" arch="*"`): string => `<package name="app-misc/foo" ${attrs}>${lines}</package>`;

function refused(xml: string, reason: GlsaFormatError["reason"], message: RegExp): GlsaFormatError {
  let caught: unknown;
  try {
    parseGlsa(xml);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GlsaFormatError, `expected a GlsaFormatError, got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  assert.match(caught.message, message);
  return caught;
}

describe("parseGlsa", () => {
  test("reads the advisory's fields and every package path", () => {
    const a = parseGlsa(glsaXml(FOO(`<unaffected range="rge" slot=" 2 ">1.0-r1</unaffected><unaffected range="eq">1.5*</unaffected><vulnerable range="lt" slot="*">2</vulnerable>`) + FOO(`<vulnerable range="le">3</vulnerable>`, `auto="no" arch="x86 amd64"`), { extra: "<access>local</access>" }));
    assert.deepEqual(a, {
      id: "209901-01",
      title: "t",
      synopsis: "s",
      product: "p",
      productType: "ebuild",
      severity: "low",
      announced: "2026-01-01",
      revised: "2026-01-02",
      revisionCount: 2,
      bugs: ["1", "2"],
      access: "local",
      packages: [
        { name: "app-misc/foo", arch: "*", auto: true, vulnerable: [{ op: "lt", version: "2", slot: null }], unaffected: [{ op: "rge", version: "1.0-r1", slot: "2" }, { op: "eq", version: "1.5*", slot: null }] },
        { name: "app-misc/foo", arch: "x86 amd64", auto: false, vulnerable: [{ op: "le", version: "3", slot: null }], unaffected: [] },
      ],
      references: [{ text: "CVE-1", link: "https://x.org/1" }, { text: "CVE-2", link: null }],
    } satisfies GlsaAdvisory);
  });

  test("the advisory is plain data: JSON keeps all of it", () => {
    const a = parseGlsa(glsaXml(FOO(`<vulnerable range="lt">2</vulnerable>`)));
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  });

  test("broken ranges name the element and line", () => {
    const err = refused(glsaXml(FOO(`\n<vulnerable range="xx">1.0</vulnerable>`)), "range", /invalid range 'xx'/);
    assert.deepEqual([err.element, err.line], ["vulnerable", 7]);
    refused(glsaXml(FOO(`<vulnerable>1.0</vulnerable>`)), "range", /invalid range ''/);
    refused(glsaXml(FOO(`<unaffected range="ge">latest</unaffected>`)), "range", /'latest' is not a version/);
    refused(glsaXml(FOO(`<vulnerable range="lt">1.2 3</vulnerable>`)), "range", /is not a version/);
    refused(glsaXml(FOO(`<vulnerable range="lt">1.2*</vulnerable>`)), "range", /is not a version/);
    refused(glsaXml(FOO(`<vulnerable range="lt"></vulnerable>`)), "range", /'' is not a version/);
    refused(glsaXml(FOO(`<vulnerable range="lt" slot="a b">1</vulnerable>`)), "range", /'a b' is not a slot/);
  });

  test("what Portage's glsa module refuses", () => {
    refused(glsaXml(FOO(""), { doctype: "" }), "doctype", /no DOCTYPE/);
    refused(glsaXml(FOO(""), { doctype: `<!DOCTYPE glsa SYSTEM "https://www.gentoo.org/dtd/glsa.dtd">` }), "doctype", /wrong DOCTYPE/);
    refused(glsaXml(FOO("")).replace(` count="2"`, ""), "structure", /<revised> has no count/);
    refused(glsaXml(FOO("")).replace(`count="2"`, `count="two"`), "structure", /not an integer/);
    refused(glsaXml(FOO("")).replace("<title>t</title>", ""), "structure", /missing <title>/);
    refused(glsaXml(FOO("")).replace("<references>", "<refs>").replace("</references>", "</refs>"), "structure", /missing <references>/);
    refused(glsaXml(FOO(""), { extra: "<background><div/></background>" }), "structure", /<div> inside <background>/);
    refused(glsaXml(FOO("")).replace("<p>w</p>", "<!-- x -->"), "structure", /comment or processing instruction inside <workaround>/);
    refused(glsaXml(`<package name="app-misc/foo-1.0" arch="*"/>`), "package-name", /invalid package name 'app-misc\/foo-1.0'/);
    refused(glsaXml(`<package name=">=app-misc/foo-1" arch="*"/>`), "package-name", /invalid package name/);
    refused(glsaXml(`<package name="app-misc/foo:0" arch="*"/>`), "package-name", /invalid package name/);
    refused(glsaXml(FOO("", `arch="amd64,x86"`)), "arch", /unrecognized arch list 'amd64,x86'/);
    refused(glsaXml(FOO("", `auto="yes"`)), "arch", /unrecognized arch list ''/);
    refused(`<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd"><advisory/>`, "structure", /root element is <advisory>/);
  });

  test("an arch list may end in one newline, as Python's $ allows", () => {
    assert.equal(parseGlsa(glsaXml(FOO("", `arch="amd64&#10;"`))).packages[0]!.arch, "amd64\n");
    refused(glsaXml(FOO("", `arch="amd64&#10;&#10;"`)), "arch", /unrecognized/);
  });
});

describe("real advisories of ../shared/fixtures/real/glsa", { skip: noFixtures }, () => {
  const read = (name: string): GlsaAdvisory => parseGlsa(readFileSync(fixture("real/glsa", name)));

  test("every one parses, each package with vulnerable ranges", () => {
    const files = readdirSync(fixture("real/glsa")).filter((f) => f.endsWith(".xml"));
    assert.equal(files.length, 15);
    for (const f of files) {
      const a = read(f);
      assert.equal(`glsa-${a.id}.xml`, f);
      assert.ok(a.packages.length > 0 && a.packages.every((p) => p.vulnerable.length > 0), f);
      assert.ok(a.title !== "" && a.synopsis !== "" && /^\d{4}-\d{2}-\d{2}$/.test(a.announced), f);
    }
  });

  test("fields as written: zero-padded count, two fixed branches, slots, CRLF, uri without link", () => {
    const emacs = read("glsa-200502-20.xml");
    assert.deepEqual([emacs.revisionCount, emacs.severity, emacs.bugs, emacs.access], [3, "normal", ["79686"], "remote"]);
    assert.deepEqual(emacs.packages[0]!.unaffected, [{ op: "ge", version: "21.4", slot: null }, { op: "lt", version: "19", slot: null }]);
    const racoon = read("glsa-200503-33.xml");
    assert.deepEqual(racoon.packages[0]!.unaffected.map((r) => `${r.op} ${r.version}`), ["rge 0.4-r1", "ge 0.5-r1"]);
    const python = read("glsa-202305-02.xml");
    assert.deepEqual(python.packages[0]!.vulnerable.map((r) => r.slot), ["3.8", "3.9", "3.10", "3.11", "12"]);
    assert.equal(read("glsa-202401-01.xml").title, "Joblib: Arbitrary Code Execution");
    assert.deepEqual(read("glsa-202402-01.xml").references.filter((r) => r.link === null).map((r) => r.text), ["GLIBC-SA-2024-0001", "GLIBC-SA-2024-0002", "GLIBC-SA-2024-0003"]);
  });
});

describe("mutated real advisories", { skip: noFixtures }, () => {
  test("parse to an advisory or a GlsaFormatError, evaluate to a verdict or a named error, never anything else", () => {
    const r = seededRandom(7);
    const docs = readdirSync(fixture("real/glsa")).filter((f) => f.endsWith(".xml")).map((f) => readFileSync(fixture("real/glsa", f)));
    const tally = { parsed: 0, refused: 0, evaluated: 0 };
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(r.pick(docs));
      for (let e = 0, n = 1 + r.int(6); e < n; e++) {
        const at = r.int(bytes.length);
        // Mostly markup characters, where a flip changes structure rather than prose.
        bytes[at] = r.chance(0.7) ? r.pick([...`<>/="' &;!-[]?*:~`].map((c) => c.charCodeAt(0))) : r.int(256);
      }
      let advisory: GlsaAdvisory;
      try {
        advisory = parseGlsa(bytes.subarray(0, r.chance(0.1) ? r.int(bytes.length) : bytes.length));
      } catch (err) {
        assert.ok(err instanceof GlsaFormatError, String(err));
        tally.refused++;
        continue;
      }
      tally.parsed++;
      const versions = advisory.packages.flatMap((p) => p.vulnerable.concat(p.unaffected).map((v) => ({ cpv: `${p.name}-${v.version.replace(/\*$/, "")}`, slot: v.slot ?? "0" })));
      try {
        evaluateGlsa(advisory, { arch: "amd64", installed: PackageSet.of(r.subset(versions, 3)), available: PackageSet.of(versions) });
        tally.evaluated++;
      } catch (err) {
        assert.ok(err instanceof GlsaEvaluationError || err instanceof PortageFormatError, String(err));
      }
    }
    assert.ok(tally.refused > 1000 && tally.evaluated > 200, `tally ${JSON.stringify(tally)}`);
  });
});

