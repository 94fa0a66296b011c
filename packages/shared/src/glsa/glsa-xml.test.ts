import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GlsaFormatError } from "../errors.js";
import { type XmlElement, descendants, portageText, readXml } from "./glsa-xml.js";

const LIMITS = { maxBytes: 1024 * 1024, maxDepth: 32 };

function refused(input: string | Uint8Array, reason: GlsaFormatError["reason"], message: RegExp, limits = LIMITS): GlsaFormatError {
  let caught: unknown;
  try {
    readXml(input, limits);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GlsaFormatError, `expected a GlsaFormatError, got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  assert.match(caught.message, message);
  return caught;
}

function root(xml: string): XmlElement {
  return readXml(xml, LIMITS).root;
}

describe("readXml: hostile input ends in a GlsaFormatError, with bounded work", () => {
  test("billion laughs: an internal DTD subset is refused before any entity is declared", () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`).join("")}]><lolz>&lol9;</lolz>`;
    refused(lol, "doctype", /internal subset/);
  });

  test("external entities are never declared, so never read", () => {
    refused(`<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`, "doctype", /internal subset/);
    refused(`<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd" [<!ENTITY % dtd SYSTEM "http://evil/x.dtd"> %dtd;]><glsa/>`, "doctype", /internal subset/);
  });

  test("an undeclared entity reads as nothing under an external DTD, as expat skips it; an error elsewhere", () => {
    const a = root(`<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd"><glsa x="1&nbsp;2">a&nbsp;b&xxe;&amp;</glsa>`);
    assert.deepEqual([portageText(a), a.attributes["x"]], ["ab&", "12"]);
    refused(`<a>&nbsp;</a>`, "not-well-formed", /line 1: undefined entity/);
    refused(`<?xml version="1.0" standalone="yes"?><!DOCTYPE glsa SYSTEM "g.dtd"><glsa>&nbsp;</glsa>`, "not-well-formed", /undefined entity/);
    refused(`<!DOCTYPE glsa SYSTEM "g.dtd"><glsa>&1x;</glsa>`, "not-well-formed", /./);
  });

  test("the five predefined entities and character references are read", () => {
    const a = root(`<a x="&lt;&#x41;&#10;">&amp;&gt;&quot;&apos;&#65;</a>`);
    assert.equal(a.attributes["x"], "<A\n");
    assert.equal(portageText(a), `&>"'A`);
  });

  test("50 MB is refused by its size, before parsing", () => {
    const big = new Uint8Array(50 * 1024 * 1024).fill(0x20);
    const err = refused(big, "too-large", /52428800 bytes, more than the 1048576 accepted/);
    assert.equal(err.line, null);
    refused("<a>".padEnd(LIMITS.maxBytes + 1, " "), "too-large", /more than/);
  });

  test("deep nesting stops at maxDepth", () => {
    const deep = `${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`;
    const err = refused(deep, "too-deep", /nested deeper than 32/, { maxBytes: 1e6, maxDepth: 32 });
    assert.equal(err.element, "a");
  });

  test("bytes that are not UTF-8, and other declared encodings", () => {
    refused(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), "encoding", /not valid UTF-8/);
    refused(`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, "encoding", /'ISO-8859-1' is not supported/);
    assert.equal(root(`\uFEFF<?xml version="1.0" encoding="UTF-8"?><a/>`).name, "a");
  });

  test("malformed documents name the line", () => {
    const err = refused(`<glsa>\n<title>x</titel>\n</glsa>`, "not-well-formed", /^line 2: /);
    assert.equal(err.line, 2);
    refused(``, "not-well-formed", /root/);
    refused(`<a/><b/>`, "not-well-formed", /one root/);
    refused(`<a b="1" b="2"/>`, "not-well-formed", /duplicate attribute|b/);
    refused(`<a>\u0000</a>`, "not-well-formed", /character/);
  });

  test("a DOCTYPE with a public or system id is reported, not fetched", () => {
    assert.deepEqual(readXml(`<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd"><glsa/>`, LIMITS).doctype, { name: "glsa", publicId: null, systemId: "http://www.gentoo.org/dtd/glsa.dtd" });
    assert.deepEqual(readXml(`<!DOCTYPE glsa PUBLIC 'p' 's'><glsa/>`, LIMITS).doctype, { name: "glsa", publicId: "p", systemId: "s" });
    assert.equal(readXml(`<glsa/>`, LIMITS).doctype, null);
  });
});

describe("portageText: Portage's getText(format='strip')", () => {
  test("trims spaces, tabs and newlines, collapses runs of whitespace, keeps a lone tab", () => {
    assert.equal(portageText(root(`<t>\n   GNU  Emacs,\n\tXEmacs:\tbugs \n</t>`)), "GNU Emacs, XEmacs:\tbugs");
    assert.equal(portageText(root(`<t>a\r\n\r\nb</t>`)), "a b");
  });

  test("text of descendants counts; CDATA and comments do not (minidom gives them other node names)", () => {
    assert.equal(portageText(root(`<v>1.<b>2</b><![CDATA[.3]]><!-- c -->-r1</v>`)), "1.2-r1");
  });

  test("<uri> and <mail> read as text:link", () => {
    assert.equal(portageText(root(`<p>see <uri link="https://x.org/a">CVE-1</uri> or <mail link="a@b">A</mail></p>`)), "see CVE-1:https://x.org/a or A:a@b");
  });

  test("descendants come in document order", () => {
    const r = root(`<r><a i="1"><a i="2"/></a><b><a i="3"/></b></r>`);
    assert.deepEqual(descendants(r, "a").map((a) => a.attributes["i"]), ["1", "2", "3"]);
  });
});
