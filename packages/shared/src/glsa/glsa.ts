// The GLSA model: a Gentoo Linux Security Advisory as the repository ships it
// (metadata/glsa/glsa-YYYYMM-NN.xml, DTD glsa.dtd), read the way Portage's lib/portage/glsa.py
// reads it, and checked up front where Portage would only fail later, while matching.
import { parseAtom } from "../atom.js";
import { GlsaFormatError, PortageFormatError } from "../errors.js";
import { clip } from "../clip.js";
import { isValidVersion } from "../version.js";
import { SLOT_RE } from "./package-set.js";
import { type XmlElement, descendants, firstDescendant, leadingText, portageText, readXml } from "./glsa-xml.js";

/**
 * A `range` attribute: `lt le eq ge gt` compare whole versions; `rlt rle rge rgt` keep the
 * version and compare only the revision (rge 1.2-r3 = 1.2-r3, 1.2-r4, ... but not 1.3).
 */
export type GlsaRangeOp = "lt" | "le" | "eq" | "ge" | "gt" | "rlt" | "rle" | "rge" | "rgt";

/** One `<vulnerable>` or `<unaffected>` line. */
export interface GlsaRange {
  readonly op: GlsaRangeOp;
  /** The version as written, trimmed; `eq` may end in `*` (a prefix match, Portage's `=cat/pkg-1.2*`). */
  readonly version: string;
  /** `slot="…"`, trimmed (may carry a sub-slot, "0/1.1"); null when absent, empty or `*`. */
  readonly slot: string | null;
}

/** One `<package>` of `<affected>`; a name may appear in several (one per arch list, say). */
export interface GlsaPackage {
  /** `category/package`. */
  readonly name: string;
  /** The `arch` attribute as written: `*`, or keywords separated by spaces ("amd64 x86"). */
  readonly arch: string;
  /** `auto="yes"`: upgrading is safe to automate. Informational: Portage's verdicts ignore it. */
  readonly auto: boolean;
  readonly vulnerable: readonly GlsaRange[];
  readonly unaffected: readonly GlsaRange[];
}

export interface GlsaReference {
  readonly text: string;
  readonly link: string | null;
}

/** An advisory, plain data (JSON-serialisable as is). */
export interface GlsaAdvisory {
  /** `<glsa id>`, e.g. "202405-02" ("" when absent; Portage requires it only to match a file name). */
  readonly id: string;
  readonly title: string;
  readonly synopsis: string;
  /** `<product>` text and its `type` ("ebuild", "infrastructure"). */
  readonly product: string;
  readonly productType: string;
  /** `<impact type>`: "minimal", "low", "normal", "high" or "critical". */
  readonly severity: string;
  /** `<announced>` and `<revised>` as written ("2024-05-04"). */
  readonly announced: string;
  readonly revised: string;
  /** `<revised count>`: how many times the advisory was revised. */
  readonly revisionCount: number;
  /** Gentoo bug numbers (`<bug>`), as written. */
  readonly bugs: readonly string[];
  /** `<access>` ("remote", "local"), "" when absent. */
  readonly access: string;
  readonly packages: readonly GlsaPackage[];
  readonly references: readonly GlsaReference[];
}

export interface GlsaParseOptions {
  /** Largest document accepted, in bytes. @default 2 MiB (real advisories are a few KiB) */
  readonly maxBytes?: number;
  /** Deepest element nesting accepted. @default 32 (real advisories nest 5 deep) */
  readonly maxDepth?: number;
}

export const GLSA_MAX_BYTES = 2 * 1024 * 1024;
const GLSA_MAX_DEPTH = 32;

/** The DTDs Portage's glsa module accepts (anything else is its GlsaTypeException). */
const GLSA_DTDS = new Set(["http://www.gentoo.org/dtd/glsa.dtd", "http://www.gentoo.org/dtd/glsa-2.dtd"]);
const RANGE_OPS = new Set<string>(["lt", "le", "eq", "ge", "gt", "rlt", "rle", "rge", "rgt"]);
// Portage's ARCH_REGEX `^\*$|^[-_a-z0-9 ]+$` under Python's re, where `$` also matches before a final newline.
const ARCH_RE = /^(?:\*|[-_a-z0-9 ]+)\n?$/;
// Elements Portage's glsa module reads with `getText(format="xml")`, which allows only these children.
const PROSE = ["background", "description", "impact", "workaround", "resolution"] as const;
const PROSE_CHILDREN = new Set(["p", "ul", "ol", "code"]);

/**
 * Parses a GLSA document (bytes or text). Refuses, with {@link GlsaFormatError}, what Portage's
 * glsa module refuses (no or another DOCTYPE, a missing required element, `<revised>` without
 * a numeric `count`, an unknown `range`, a package name that is not `category/package`, an
 * `arch` list its ARCH_REGEX rejects, text other than `<p>`/`<ul>`/`<ol>`/`<code>` in prose),
 * what it would only trip over while matching (a version or slot no atom can hold), and what
 * we refuse for safety (see {@link readXml}).
 */
export function parseGlsa(input: string | Uint8Array, options: GlsaParseOptions = {}): GlsaAdvisory {
  const doc = readXml(input, { maxBytes: options.maxBytes ?? GLSA_MAX_BYTES, maxDepth: options.maxDepth ?? GLSA_MAX_DEPTH });
  if (doc.doctype === null) throw new GlsaFormatError("no DOCTYPE: a GLSA declares <!DOCTYPE glsa SYSTEM \"http://www.gentoo.org/dtd/glsa.dtd\">", "doctype", null, null);
  if (doc.doctype.systemId === null || !GLSA_DTDS.has(doc.doctype.systemId)) {
    throw new GlsaFormatError(`wrong DOCTYPE: system id '${clip(doc.doctype.systemId ?? "", 80)}' is not the GLSA DTD`, "doctype", null, null);
  }
  const root = doc.root;
  if (root.name !== "glsa") throw structure(`root element is <${clip(root.name, 40)}>, not <glsa>`, root);

  const revisedEl = required(root, "revised");
  const count = revisedEl.attributes["count"] ?? "";
  if (count.trim() === "") throw structure("<revised> has no count attribute", revisedEl);
  if (!/^\s*\d+\s*$/.test(count)) throw structure(`<revised count="${clip(count, 40)}"> is not an integer`, revisedEl);
  for (const name of PROSE) {
    const el = name === "background" ? firstDescendant(root, name) : required(root, name);
    if (el !== null) checkProse(el);
  }
  const impact = required(root, "impact");
  const product = required(root, "product");
  const references = required(root, "references");
  return {
    id: root.attributes["id"] ?? "",
    title: portageText(required(root, "title")),
    synopsis: portageText(required(root, "synopsis")),
    product: portageText(product),
    productType: product.attributes["type"] ?? "",
    severity: impact.attributes["type"] ?? "",
    announced: portageText(required(root, "announced")),
    revised: portageText(revisedEl),
    revisionCount: Number(count.trim()),
    bugs: descendants(root, "bug").map(portageText),
    access: optionalText(root, "access"),
    packages: descendants(required(root, "affected"), "package").map(readPackage),
    references: descendants(references, "uri").map((u) => ({ text: leadingText(u).trim(), link: u.attributes["link"] ?? null })),
  };
}

function structure(message: string, el: XmlElement): GlsaFormatError {
  return new GlsaFormatError(`line ${el.line}: ${message}`, "structure", el.line, el.name);
}

function required(root: XmlElement, name: string): XmlElement {
  const el = firstDescendant(root, name);
  if (el === null) throw structure(`missing <${name}>`, root);
  return el;
}

function checkProse(el: XmlElement): void {
  for (const c of el.children) {
    if (c.kind === "text" || (c.kind === "element" && PROSE_CHILDREN.has(c.name))) continue;
    const what = c.kind === "element" ? `<${clip(c.name, 40)}>` : c.kind === "cdata" ? "a CDATA section" : "a comment or processing instruction";
    throw structure(`${what} inside <${el.name}>: only text, <p>, <ul>, <ol> and <code> are allowed`, el);
  }
}

function optionalText(root: XmlElement, name: string): string {
  const el = firstDescendant(root, name);
  return el === null ? "" : portageText(el);
}

function readPackage(p: XmlElement): GlsaPackage {
  const name = p.attributes["name"] ?? "";
  let valid = false;
  try {
    const atom = parseAtom(name);
    valid = atom.raw === atom.cp && atom.blocker === null;
  } catch (err) {
    if (!(err instanceof PortageFormatError)) throw err;
  }
  if (!valid) throw new GlsaFormatError(`line ${p.line}: invalid package name '${clip(name, 80)}': expected category/package`, "package-name", p.line, "package");
  const arch = p.attributes["arch"] ?? "";
  if (!ARCH_RE.test(arch)) {
    throw new GlsaFormatError(`line ${p.line}: unrecognized arch list '${clip(arch, 80)}' for ${name} (expected * or keywords separated by spaces)`, "arch", p.line, "package");
  }
  return {
    name,
    arch,
    auto: p.attributes["auto"] === "yes",
    vulnerable: descendants(p, "vulnerable").map((v) => readRange(name, v)),
    unaffected: descendants(p, "unaffected").map((v) => readRange(name, v)),
  };
}

function readRange(name: string, el: XmlElement): GlsaRange {
  const bad = (why: string): GlsaFormatError => new GlsaFormatError(`line ${el.line}: <${el.name}> of ${name}: ${why}`, "range", el.line, el.name);
  const op = el.attributes["range"] ?? "";
  if (!RANGE_OPS.has(op)) throw bad(`invalid range '${clip(op, 40)}' (expected one of lt le eq ge gt rlt rle rge rgt)`);
  const version = portageText(el);
  const glob = op === "eq" && version.endsWith("*");
  if (!isValidVersion(glob ? version.slice(0, -1) : version)) throw bad(`'${clip(version, 80)}' is not a version`);
  const slotText = (el.attributes["slot"] ?? "").trim();
  const slot = slotText === "" || slotText === "*" ? null : slotText;
  if (slot !== null && !SLOT_RE.test(slot)) throw bad(`'${clip(slot, 80)}' is not a slot`);
  return { op: op as GlsaRangeOp, version, slot };
}
