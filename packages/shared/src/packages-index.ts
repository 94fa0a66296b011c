import { isAscii } from "node:buffer";
import { parseCpv, type Cpv } from "./cpv.js";
import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";

/** One block of `KEY: value` lines, in file order (order is kept so a rewrite is byte-identical). */
export type Stanza = ReadonlyArray<readonly [key: string, value: string]>;

/** `$PKGDIR/Packages`: a header block, then one block per binary package. */
export interface PackagesIndex {
  readonly header: Stanza;
  readonly packages: readonly Stanza[];
  /**
   * Portage ends the file with a blank line after the last block; some
   * hand-made or third-party indexes do not. Kept so unchanged input round-trips.
   */
  readonly trailingBlankLine: boolean;
}

/** The value of `key` in a stanza, or undefined. */
export function field(stanza: Stanza, key: string): string | undefined {
  for (const [k, v] of stanza) if (k === key) return v;
  return undefined;
}

/** Returns a copy of the stanza with `key` set (replaced in place, or appended) or removed (`value` undefined). */
export function withField(stanza: Stanza, key: string, value: string | undefined): Stanza {
  const out: (readonly [string, string])[] = [];
  let done = false;
  for (const e of stanza) {
    if (e[0] !== key) out.push(e);
    else if (!done && value !== undefined) {
      out.push([key, value]);
      done = true;
    }
  }
  if (!done && value !== undefined) out.push([key, value]);
  return out;
}

export interface PackagesIndexOptions {
  /** Refuse an index whose header `PACKAGES:` count differs from its blocks (a truncated download). Default true. */
  readonly checkCount?: boolean;
}

/**
 * The one pass over an index's text that every reader shares: it finds each line's
 * colon, checks the `KEY: value` shape and that every entry has a CPV, and records
 * where blocks and lines are. Strings are made later, only for what is read
 * (Portage's reader makes a dict per entry; most consumers read a few fields).
 */
class BlockScanner {
  /** Per line: offset of its start, then of its colon. */
  lines: Int32Array<ArrayBuffer>;
  lineCount = 0;
  /** Per block: index of its first line, then the offset just past its last line's newline. */
  blocks: Int32Array<ArrayBuffer>;
  blockCount = 0;
  /** Blocks seen since the start of the file (a stream scans it piecewise); the first is the header. */
  seen = 0;
  lastWasBlank = false;
  private lineNo = 0;
  /** The block being read: its first line's index (-1: none), line number and whether it has a CPV. */
  private open = -1;
  private openLineNo = 0;
  private openHasCpv = false;

  /**
   * `textLength` sizes the tables for a text that long (real indexes average 50 bytes a
   * line and 1 KiB an entry), so that they rarely grow; `onBlock` hears of each block read.
   */
  constructor(
    textLength: number,
    private readonly onBlock: ((block: number) => void) | null = null,
  ) {
    this.lines = new Int32Array(2 * (Math.ceil(textLength / 40) + 64));
    this.blocks = new Int32Array(2 * (Math.ceil(textLength / 512) + 16));
  }

  /** Scans the whole lines of `text[start, end)` (`end` just past a newline); a block still open at `end` stays open. */
  scan(text: string, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const nl = text.indexOf("\n", pos);
      this.lineNo++;
      if (nl === pos) {
        this.close(pos);
        this.lastWasBlank = true;
        pos++;
        continue;
      }
      this.lastWasBlank = false;
      let colon = pos;
      while (colon < nl && text.charCodeAt(colon) !== 58) colon++;
      if (colon === pos || colon === nl) {
        const line = text.slice(pos, nl);
        throw new PortageFormatError(`Packages index line ${this.lineNo} is not 'KEY: value': '${clip(line, 80)}'`, "packages-index", clip(line), this.lineNo);
      }
      if (this.open < 0) {
        this.open = this.lineCount;
        this.openLineNo = this.lineNo;
        this.openHasCpv = false;
      }
      if (colon - pos === 3 && text.startsWith("CPV", pos)) this.openHasCpv = true;
      if (this.lineCount * 2 + 2 > this.lines.length) this.lines = grown(this.lines);
      this.lines[this.lineCount * 2] = pos;
      this.lines[this.lineCount * 2 + 1] = colon;
      this.lineCount++;
      pos = nl + 1;
    }
  }

  /** Ends the open block, if any, at offset `end`. */
  close(end: number): void {
    if (this.open < 0) return;
    // The first block is the header; every later one is an entry and must name its package.
    if (this.seen > 0 && !this.openHasCpv) {
      throw new PortageFormatError(`Packages index entry at line ${this.openLineNo} has no CPV (truncated or corrupt index)`, "packages-index", "", this.openLineNo);
    }
    if (this.blockCount * 2 + 2 > this.blocks.length) this.blocks = grown(this.blocks);
    this.blocks[this.blockCount * 2] = this.open;
    this.blocks[this.blockCount * 2 + 1] = end;
    this.blockCount++;
    this.seen++;
    this.open = -1;
    this.onBlock?.(this.blockCount - 1);
  }

  /** Forgets the blocks and lines read so far (a stream's next piece has its own text); counts go on. */
  reset(): void {
    this.lineCount = 0;
    this.blockCount = 0;
  }

  /**
   * Block `b` of `text` as a stanza. A line equal to the previous stanza's line at the
   * same place (EAPI, REPO, often LICENSE or KEYWORDS) shares its pair, and a key its
   * string: entries of one index are alike, and pairs are immutable.
   */
  stanza(text: string, b: number, previous: Stanza): Stanza {
    const first = this.blocks[b * 2]!;
    const last = b + 1 < this.blockCount ? this.blocks[b * 2 + 2]! : this.lineCount;
    const out = new Array<readonly [string, string]>(last - first);
    for (let l = first; l < last; l++) {
      const start = this.lines[l * 2]!;
      const colon = this.lines[l * 2 + 1]!;
      // Portage drops the one separator character after the colon.
      const from = colon + 2;
      const end = (l + 1 < last ? this.lines[l * 2 + 2]! : this.blocks[b * 2 + 1]!) - 1;
      const known = previous[l - first];
      if (known === undefined || known[0].length !== colon - start || !text.startsWith(known[0], start)) {
        out[l - first] = [text.slice(start, colon), text.slice(from, end)];
      } else if (known[1].length === end - from && text.startsWith(known[1], from)) {
        out[l - first] = known;
      } else {
        out[l - first] = [known[0], text.slice(from, end)];
      }
    }
    return out;
  }

  /** The value of `key` in block `b`, read from the text without building the stanza. */
  field(text: string, b: number, key: string): string | undefined {
    const last = b + 1 < this.blockCount ? this.blocks[b * 2 + 2]! : this.lineCount;
    for (let l = this.blocks[b * 2]!; l < last; l++) {
      const start = this.lines[l * 2]!;
      const colon = this.lines[l * 2 + 1]!;
      if (colon - start === key.length && text.startsWith(key, start)) {
        const end = (l + 1 < last ? this.lines[l * 2 + 2]! : this.blocks[b * 2 + 1]!) - 1;
        return text.slice(colon + 2, end);
      }
    }
    return undefined;
  }

  /** Refuses an index without a header, or whose `PACKAGES:` count is not its number of entries. */
  finish(header: Stanza | null, entries: number, options: PackagesIndexOptions): Stanza {
    if (header === null) {
      throw new PortageFormatError("Packages index is empty: no header block", "packages-index", "");
    }
    const declared = field(header, "PACKAGES");
    if ((options.checkCount ?? true) && declared !== undefined && Number(declared) !== entries) {
      throw new PortageFormatError(
        `Packages index header says PACKAGES: ${declared} but holds ${entries} entries (truncated or inconsistent index)`,
        "packages-index",
        declared,
      );
    }
    return header;
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function truncated(text: string): PortageFormatError {
  return new PortageFormatError("Packages index does not end with a newline (truncated)", "packages-index", clip(text.slice(-80)));
}

/**
 * A whole `Packages` file read in one pass: the header as a stanza, every entry
 * located and checked, entry values made into strings only when asked for.
 */
export class PackagesIndexView {
  readonly header: Stanza;
  /** Number of package entries. */
  readonly count: number;
  /** See {@link PackagesIndex.trailingBlankLine}. */
  readonly trailingBlankLine: boolean;

  private readonly scanner: BlockScanner;

  /** Throws {@link PortageFormatError} for a truncated or malformed index, like {@link parsePackagesIndex}. */
  constructor(
    private readonly text: string,
    options: PackagesIndexOptions = {},
  ) {
    if (text.length > 0 && !text.endsWith("\n")) throw truncated(text);
    this.scanner = new BlockScanner(text.length);
    this.scanner.scan(text, 0, text.length);
    this.scanner.close(text.length);
    const blocks = this.scanner.blockCount;
    this.header = this.scanner.finish(blocks === 0 ? null : this.scanner.stanza(text, 0, []), Math.max(0, blocks - 1), options);
    this.count = blocks - 1;
    this.trailingBlankLine = this.scanner.lastWasBlank;
  }

  /** The value of `key` in entry `i` (0-based), or undefined. */
  field(i: number, key: string): string | undefined {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`no entry ${i} in a Packages index of ${this.count}`);
    return this.scanner.field(this.text, i + 1, key);
  }

  /** Every entry as a stanza, in file order. */
  entries(): Stanza[] {
    const out = new Array<Stanza>(this.count);
    let previous = this.header;
    for (let i = 0; i < this.count; i++) previous = out[i] = this.scanner.stanza(this.text, i + 1, previous);
    return out;
  }
}

/**
 * Reads a `Packages` file given as text or as its bytes (UTF-8) without building
 * every entry: see {@link PackagesIndexView}. Throws {@link PortageFormatError} for
 * a truncated or malformed index.
 */
export function viewPackagesIndex(input: string | Uint8Array, options: PackagesIndexOptions = {}): PackagesIndexView {
  return new PackagesIndexView(typeof input === "string" ? input : decodeUtf8(input), options);
}

/** UTF-8 bytes to text; an ASCII-only file (the usual index) takes the copy-only path. */
function decodeUtf8(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isAscii(buffer) ? buffer.toString("latin1") : buffer.toString("utf8");
}

/**
 * Parses a whole `Packages` file, given as text or as its bytes (UTF-8). Throws
 * {@link PortageFormatError} for a truncated or malformed index.
 */
export function parsePackagesIndex(input: string | Uint8Array, options: PackagesIndexOptions = {}): PackagesIndex {
  const view = viewPackagesIndex(input, options);
  return { header: view.header, packages: view.entries(), trailingBlankLine: view.trailingBlankLine };
}

/** Streams a `Packages` file chunk by chunk: yields the header first, then each package stanza. */
export async function* readPackagesIndexStream(
  chunks: AsyncIterable<string | Uint8Array>,
  options: PackagesIndexOptions = {},
): AsyncGenerator<{ readonly kind: "header" | "package"; readonly stanza: Stanza }, void> {
  let header: Stanza | null = null;
  let previous: Stanza = [];
  const ready: { kind: "header" | "package"; stanza: Stanza }[] = [];
  let text = "";
  const scanner = new BlockScanner(0, (b) => {
    previous = scanner.stanza(text, b, previous);
    ready.push({ kind: header === null ? "header" : "package", stanza: previous });
    header ??= previous;
  });
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  // Takes the whole lines before `upTo` off `pending` and scans them as one piece.
  const scanUpTo = (upTo: number): void => {
    text = pending.slice(0, upTo);
    pending = pending.slice(upTo);
    scanner.reset();
    scanner.scan(text, 0, text.length);
  };
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    // Up to the last blank line, so that no block is split between two pieces.
    const blank = pending.lastIndexOf("\n\n");
    if (blank >= 0) scanUpTo(blank + 2);
    yield* ready.splice(0);
  }
  pending += decoder.decode();
  scanUpTo(pending.lastIndexOf("\n") + 1);
  if (pending !== "") throw truncated(pending);
  scanner.close(text.length);
  yield* ready.splice(0);
  scanner.finish(header, scanner.seen - 1, options);
}

/** Writes an index as Portage does: `KEY: value` lines, a blank line after each block. */
export function formatPackagesIndex(index: PackagesIndex): string {
  const parts: string[] = [formatStanza(index.header)];
  for (const p of index.packages) parts.push(formatStanza(p));
  const text = parts.join("\n");
  return index.trailingBlankLine || index.packages.length === 0 ? `${text}\n` : text;
}

function formatStanza(stanza: Stanza): string {
  let s = "";
  for (const [k, v] of stanza) s += `${k}: ${v}\n`;
  return s;
}

/** A binary package as the index describes it: what planners and nodes need to match it. */
export interface BinaryPackage {
  readonly cpv: Cpv;
  readonly buildId: number | null;
  readonly slot: string;
  readonly subslot: string;
  /** Enabled USE flags as recorded (includes the arch flag and USE_EXPAND flags). */
  readonly use: readonly string[];
  readonly iuse: readonly string[];
  readonly path: string | null;
  readonly size: number | null;
  readonly md5: string | null;
  readonly sha1: string | null;
  readonly repo: string | null;
  readonly buildTime: number | null;
  readonly rdepend: string;
}

/**
 * Reads one package stanza; values the header supplies (Portage omits stanza
 * values that equal the header's, e.g. REPO, CHOST) are taken from it.
 */
export function toBinaryPackage(stanza: Stanza, header: Stanza = []): BinaryPackage {
  const get = (k: string): string | undefined => field(stanza, k) ?? field(header, k);
  const cpvText = field(stanza, "CPV");
  if (cpvText === undefined) throw new PortageFormatError("Packages entry has no CPV", "packages-index", "");
  const [slot = "0", subslot = slot] = (field(stanza, "SLOT") ?? "0").split("/");
  const num = (k: string): number | null => {
    const v = field(stanza, k);
    return v === undefined || !/^\d+$/.test(v) ? null : Number(v);
  };
  // Only CHOST and REPO are inherited from the header; USE/IUSE absent means empty.
  const words = (k: string): string[] => (field(stanza, k) ?? "").split(/\s+/).filter((w) => w !== "");
  return {
    cpv: parseCpv(cpvText),
    buildId: num("BUILD_ID"),
    slot,
    subslot,
    use: words("USE"),
    iuse: words("IUSE"),
    path: field(stanza, "PATH") ?? null,
    size: num("SIZE"),
    md5: field(stanza, "MD5") ?? null,
    sha1: field(stanza, "SHA1") ?? null,
    repo: get("REPO") ?? null,
    buildTime: num("BUILD_TIME"),
    rdepend: field(stanza, "RDEPEND") ?? "",
  };
}
