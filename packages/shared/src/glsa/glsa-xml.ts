// The XML layer under the GLSA model: bytes in, a small element tree out, with hard limits.
//
// Why saxes and not a hand-written reader or fast-xml-parser: GLSA XML is simple, but
// well-formedness is not (character references, CDATA, comments, attribute-value
// normalisation, names, a BOM, the XML declaration); saxes is a conformance-focused XML 1.0
// parser that reports every well-formedness error, never reads a DTD and so never expands
// an entity beyond the five predefined ones and character references (billion laughs and
// external entities end as "undefined entity"), and streams without recursion, so the
// limits below bound the work. fast-xml-parser builds objects that lose the document order
// of mixed content, is lenient unless its separate validator runs, and parses DOCTYPE
// entity declarations itself (the source of its past entity-expansion advisories).
//
// One leniency, Portage's: in a document whose DOCTYPE names an external DTD (as every GLSA
// does) a reference to an entity nobody declared (`&nbsp;`) reads as nothing, as expat, so
// minidom and Portage's glsa module, skips it (XML 1.0 §4.4.3: a processor that does not
// read the external subset may). Nothing is expanded or fetched; without a DOCTYPE, or with
// standalone="yes", it is an error, as there.
import { SaxesParser } from "saxes";
import { GlsaFormatError } from "../errors.js";
import { clip } from "../clip.js";

export interface XmlElement {
  readonly kind: "element";
  readonly name: string;
  /** Attribute values after XML normalisation (a literal tab or newline reads as a space). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  /** 1-based line of the start tag. */
  readonly line: number;
}

/** Character data; "cdata" is a CDATA section, "other" a comment or processing instruction (content dropped). */
export interface XmlText {
  readonly kind: "text" | "cdata" | "other";
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlDoctype {
  readonly name: string;
  readonly publicId: string | null;
  readonly systemId: string | null;
}

export interface XmlDocument {
  readonly doctype: XmlDoctype | null;
  readonly root: XmlElement;
}

export interface XmlLimits {
  /** Largest input accepted, in bytes (UTF-16 code units for a string), checked before any parsing. */
  readonly maxBytes: number;
  /** Deepest element nesting accepted (the root is depth 1). */
  readonly maxDepth: number;
}

// `<!DOCTYPE name>` or with an external id; anything after it (an internal subset) is refused.
const DOCTYPE_RE = /^\s*([^\s[]+)(?:\s+(?:SYSTEM\s+("[^"]*"|'[^']*')|PUBLIC\s+("[^"]*"|'[^']*')\s+("[^"]*"|'[^']*')))?\s*$/;

interface OpenElement extends XmlElement {
  readonly children: XmlNode[];
}

/**
 * Reads one XML document, UTF-8 only, without DTD processing. Throws {@link GlsaFormatError}:
 * "too-large" before reading past `maxBytes`, "encoding" for bytes that are not UTF-8 or a
 * declaration of another encoding, "doctype" for an internal DTD subset, "too-deep" past
 * `maxDepth`, "not-well-formed" for anything else XML 1.0 forbids (with its line).
 */
export function readXml(input: string | Uint8Array, limits: XmlLimits): XmlDocument {
  if (input.length > limits.maxBytes) {
    throw new GlsaFormatError(`document is ${input.length} bytes, more than the ${limits.maxBytes} accepted`, "too-large", null, null);
  }
  const text = typeof input === "string" ? input : decodeUtf8(input);
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  // Set from the parser's callbacks (a holder, so the compiler does not narrow them to null).
  const found: { doctype: XmlDoctype | null; root: XmlElement | null } = { doctype: null, root: null };
  const stack: OpenElement[] = [];
  const fail: (message: string, reason: "not-well-formed" | "too-deep" | "doctype" | "encoding") => never = (message, reason) => {
    throw new GlsaFormatError(`line ${parser.line}: ${message}`, reason, parser.line, stack.at(-1)?.name ?? null);
  };
  const append = (node: XmlText): void => {
    stack.at(-1)?.children.push(node);
  };

  parser.on("error", (err) => fail(err.message.replace(/^\d+:\d+: /, ""), "not-well-formed"));
  parser.on("xmldecl", (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) fail(`encoding '${clip(decl.encoding, 40)}' is not supported, only UTF-8`, "encoding");
  });
  parser.on("doctype", (body) => {
    const m = DOCTYPE_RE.exec(body);
    if (m === null) fail("DOCTYPE declarations are not read: only <!DOCTYPE name SYSTEM \"uri\"> without an internal subset is accepted", "doctype");
    found.doctype = { name: m[1]!, publicId: m[3] === undefined ? null : m[3].slice(1, -1), systemId: unquote(m[2] ?? m[4]) };
    if (found.doctype.systemId !== null && parser.xmlDecl.standalone !== "yes") parser.ENTITIES = skippingUndeclared(parser.ENTITIES);
  });
  parser.on("opentag", (tag) => {
    if (stack.length >= limits.maxDepth) fail(`elements nested deeper than ${limits.maxDepth}`, "too-deep");
    const el: OpenElement = { kind: "element", name: tag.name, attributes: { ...tag.attributes }, children: [], line: parser.line };
    stack.at(-1)?.children.push(el);
    stack.push(el);
  });
  parser.on("closetag", () => {
    const el = stack.pop();
    if (el !== undefined && stack.length === 0) found.root = el;
  });
  parser.on("text", (t) => append({ kind: "text", text: t }));
  parser.on("cdata", (t) => append({ kind: "cdata", text: t }));
  parser.on("comment", () => append({ kind: "other", text: "" }));
  parser.on("processinginstruction", () => append({ kind: "other", text: "" }));
  parser.write(text).close();
  if (found.root === null) return fail("no root element", "not-well-formed");
  return { doctype: found.doctype, root: found.root };
}

// An XML Name (the ASCII letters and the non-ASCII ranges that matter here): what an entity reference can name.
const XML_NAME_RE = /^[A-Za-z_:\u00C0-\uFFFF][-.0-9A-Za-z_:\u00B7\u00C0-\uFFFF]*$/;

/** saxes's entity table, answering "" for a well-formed name it does not hold. */
function skippingUndeclared(entities: Record<string, string>): Record<string, string> {
  return new Proxy(entities, {
    get: (table, name) => (typeof name === "string" && !(name in table) && XML_NAME_RE.test(name) ? "" : Reflect.get(table, name)),
  });
}

function unquote(s: string | undefined): string | null {
  return s === undefined ? null : s.slice(1, -1);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    throw new GlsaFormatError("document is not valid UTF-8", "encoding", null, null, { cause: err });
  }
}

/** Descendants of `el` named `name`, in document order (minidom's getElementsByTagName). */
export function descendants(el: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (node: XmlElement): void => {
    for (const c of node.children) {
      if (c.kind !== "element") continue;
      if (c.name === name) found.push(c);
      walk(c);
    }
  };
  walk(el);
  return found;
}

/** The first descendant named `name`, or null. */
export function firstDescendant(el: XmlElement, name: string): XmlElement | null {
  return descendants(el, name)[0] ?? null;
}

// Python's `\s` on str (str.isspace()), which Portage's text clean-up uses: JavaScript's `\s`
// differs at U+001C..U+001F, U+0085 (Python only) and U+FEFF (JavaScript only).
const PY_SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]{2,}`, "g");

/**
 * An element's text as Portage's glsa module reads it (`getText(node, format="strip")`):
 * text nodes of the element and its descendants in order (CDATA sections and comments
 * count for nothing, as minidom gives them other node names), `<uri>`/`<mail>` as
 * "text:link"; then spaces, tabs and newlines trimmed at both ends and every run of two or
 * more whitespace characters made one space.
 */
export function portageText(el: XmlElement): string {
  const parts: string[] = [];
  const walk = (node: XmlElement): void => {
    if (node.name === "uri" || node.name === "mail") {
      parts.push(`${leadingText(node)}:${node.attributes["link"] ?? ""}`);
      return;
    }
    for (const c of node.children) {
      if (c.kind === "text") parts.push(c.text);
      else if (c.kind === "element") walk(c);
    }
  };
  walk(el);
  return trimChars(parts.join(""), " \n\t").replace(PY_SPACE_RUN, " ");
}

function trimChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** The data of an element's first child (how Portage reads `<uri>` and `<mail>`), "" when that is not text. */
export function leadingText(el: XmlElement): string {
  const first = el.children[0];
  return first !== undefined && first.kind !== "element" && first.kind !== "other" ? first.text : "";
}
