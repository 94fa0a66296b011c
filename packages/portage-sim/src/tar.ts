import { SimError } from "./errors.js";

export interface TarEntry {
  readonly name: string;
  readonly data: Buffer;
  /** "0" file, "5" directory. */
  readonly type: "0" | "5";
  readonly mode: number;
  readonly mtime: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  let name = e.name;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new SimError(`tar: name too long: ${e.name}`);
  }
  h.write(name, 0, 100);
  h.write(octal(e.mode, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(e.type === "5" ? 0 : e.data.length, 12), 124);
  h.write(octal(e.mtime, 12), 136);
  h.write("        ", 148);
  h.write(e.type, 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.write("root", 265);
  h.write("root", 297);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

/** Writes a POSIX ustar archive (what GNU tar --format=ustar produces, as gpkg uses). */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.type === "0") {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  const body = Buffer.concat(parts);
  // GNU tar pads archives to a 10240-byte record.
  const record = 10240;
  const pad = (record - (body.length % record)) % record;
  return pad === 0 ? body : Buffer.concat([body, Buffer.alloc(pad)]);
}

/** Reads a ustar archive; refuses anything malformed rather than guessing. */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (start: number, len: number): string => h.toString("utf8", start, start + len).replace(/\0.*$/s, "");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (parseInt(str(148, 8).trim(), 8) !== sum) throw new SimError("tar: header checksum mismatch (corrupt archive)");
    const size = parseInt(str(124, 12).trim() || "0", 8);
    const prefix = str(345, 155);
    const name = prefix === "" ? str(0, 100) : `${prefix}/${str(0, 100)}`;
    const type = (str(156, 1) || "0") as TarEntry["type"];
    off += 512;
    if (off + size > buf.length) throw new SimError(`tar: member ${name} is truncated`);
    out.push({ name, data: buf.subarray(off, off + size), type, mode: parseInt(str(100, 8).trim() || "0", 8), mtime: parseInt(str(136, 12).trim() || "0", 8) });
    off += Math.ceil(size / 512) * 512;
  }
  return out;
}
