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
 * Incremental reader: feed it lines (without "\n"), get header and package
 * stanzas as they complete. Used by both the whole-text and the streaming reader.
 */
class StanzaReader {
  private current: [string, string][] = [];
  private lineNo = 0;
  private startLine = 1;
  header: Stanza | null = null;
  count = 0;
  lastWasBlank = false;

  /** Returns a finished package stanza, if this line completed one. */
  push(line: string): Stanza | null {
    this.lineNo++;
    if (line === "") {
      this.lastWasBlank = true;
      return this.flush();
    }
    this.lastWasBlank = false;
    if (this.current.length === 0) this.startLine = this.lineNo;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new PortageFormatError(`Packages index line ${this.lineNo} is not 'KEY: value': '${clip(line, 80)}'`, "packages-index", clip(line), this.lineNo);
    }
    // Portage drops the one separator character after the colon.
    this.current.push([line.slice(0, colon), line.slice(colon + 2)]);
    return null;
  }

  flush(): Stanza | null {
    if (this.current.length === 0) return null;
    const stanza = this.current;
    this.current = [];
    if (this.header === null) {
      this.header = stanza;
      return null;
    }
    if (field(stanza, "CPV") === undefined) {
      throw new PortageFormatError(`Packages index entry at line ${this.startLine} has no CPV (truncated or corrupt index)`, "packages-index", "", this.startLine);
    }
    this.count++;
    return stanza;
  }

  finish(options: PackagesIndexOptions): void {
    if (this.header === null) {
      throw new PortageFormatError("Packages index is empty: no header block", "packages-index", "");
    }
    const declared = field(this.header, "PACKAGES");
    if ((options.checkCount ?? true) && declared !== undefined && Number(declared) !== this.count) {
      throw new PortageFormatError(
        `Packages index header says PACKAGES: ${declared} but holds ${this.count} entries (truncated or inconsistent index)`,
        "packages-index",
        declared,
      );
    }
  }
}

/** Parses a whole `Packages` file. Throws {@link PortageFormatError} for a truncated or malformed index. */
export function parsePackagesIndex(text: string, options: PackagesIndexOptions = {}): PackagesIndex {
  if (text.length > 0 && !text.endsWith("\n")) {
    throw new PortageFormatError("Packages index does not end with a newline (truncated)", "packages-index", clip(text.slice(-80)));
  }
  const reader = new StanzaReader();
  const packages: Stanza[] = [];
  const lines = text.split("\n");
  lines.pop(); // the empty string after the final "\n"
  for (const line of lines) {
    const done = reader.push(line);
    if (done !== null) packages.push(done);
  }
  const trailingBlankLine = reader.lastWasBlank;
  const last = reader.flush();
  if (last !== null) packages.push(last);
  reader.finish(options);
  return { header: reader.header!, packages, trailingBlankLine };
}

/** Streams a `Packages` file chunk by chunk: yields the header first, then each package stanza. */
export async function* readPackagesIndexStream(
  chunks: AsyncIterable<string | Uint8Array>,
  options: PackagesIndexOptions = {},
): AsyncGenerator<{ readonly kind: "header" | "package"; readonly stanza: Stanza }, void> {
  const reader = new StanzaReader();
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  let headerSent = false;
  const emit = function* (done: Stanza | null) {
    if (!headerSent && reader.header !== null) {
      headerSent = true;
      yield { kind: "header" as const, stanza: reader.header };
    }
    if (done !== null) yield { kind: "package" as const, stanza: done };
  };
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    let start = 0;
    while ((nl = pending.indexOf("\n", start)) >= 0) {
      yield* emit(reader.push(pending.slice(start, nl)));
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending !== "") {
    throw new PortageFormatError("Packages index does not end with a newline (truncated)", "packages-index", clip(pending.slice(-80)));
  }
  yield* emit(reader.flush());
  reader.finish(options);
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
