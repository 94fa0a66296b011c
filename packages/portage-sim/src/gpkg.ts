import { createHash } from "node:crypto";
import type { DigestCache } from "./digest-cache.js";
import { SimError } from "./errors.js";
import { type Compressor, COMPRESSORS, compress, decompress } from "./compression.js";
import { gpgSign, gpgVerify } from "./signing.js";
import { type TarEntry, readTar, writeTar } from "./tar.js";

export interface GpkgSigning {
  readonly home: string;
  readonly key: string;
  readonly digest: string;
}

export interface GpkgContent {
  /** `<pf>-<build id>` (multi-instance) or `<pf>`: the top directory inside the tar. */
  readonly basename: string;
  /** vdb-style metadata: file name → content. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Installed files: absolute path → content. */
  readonly files: Readonly<Record<string, string>>;
  readonly mtime: number;
}

function manifestLine(name: string, data: Buffer): string {
  const b2 = createHash("blake2b512").update(data).digest("hex");
  const sha = createHash("sha512").update(data).digest("hex");
  return `DATA ${name} ${data.length} BLAKE2B ${b2} SHA512 ${sha}`;
}

function innerTar(prefix: string, files: Readonly<Record<string, string>>, mtime: number): Buffer {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>([prefix]);
  for (const path of Object.keys(files).sort()) {
    const parts = `${prefix}${path}`.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  for (const d of [...dirs].sort()) entries.push({ name: `${d}/`, data: Buffer.alloc(0), type: "5", mode: 0o755, mtime });
  for (const [path, content] of Object.entries(files).sort()) {
    entries.push({ name: `${prefix}${path}`, data: Buffer.from(content), type: "0", mode: path.includes("/bin/") ? 0o755 : 0o644, mtime });
  }
  return writeTar(entries);
}

/**
 * Builds a gpkg (GLEP 78) archive: gpkg-1, metadata.tar.X, image.tar.X, Manifest, with signatures
 * when asked; with a cache, gpg's verdicts on the new signatures are kept so opening the package
 * where the key is trusted runs no gpg.
 */
export async function createGpkg(content: GpkgContent, compressor: Compressor, signing: GpkgSigning | null, cache: DigestCache | null = null): Promise<Buffer> {
  const ext = COMPRESSORS[compressor];
  const metaFiles = Object.fromEntries(Object.entries(content.metadata).map(([k, v]) => [`/${k}`, v]));
  const metadata = compress(innerTar("metadata", metaFiles, content.mtime), compressor);
  const image = compress(innerTar("image", content.files, content.mtime), compressor);
  return assembleGpkg(content.basename, content.mtime, [[`metadata.tar.${ext}`, metadata], [`image.tar.${ext}`, image]], signing, cache);
}

/** The outer tar: gpkg-1, each inner tarball followed by its detached signature, and the (clear-signed) Manifest. */
async function assembleGpkg(basename: string, mtime: number, tarballs: readonly [string, Buffer][], signing: GpkgSigning | null, cache: DigestCache | null): Promise<Buffer> {
  const members: [string, Buffer][] = [["gpkg-1", Buffer.alloc(0)]];
  for (const [name, data] of tarballs) {
    members.push([name, data]);
    if (signing !== null) members.push([`${name}.sig`, await gpgSign(signing.home, signing.key, signing.digest, data, "detach", cache)]);
  }
  let manifest: Buffer = Buffer.from(`${members.map(([n, d]) => manifestLine(n, d)).join("\n")}\n`);
  if (signing !== null) manifest = await gpgSign(signing.home, signing.key, signing.digest, manifest, "clear", cache);
  members.push(["Manifest", manifest]);
  return writeTar(members.map(([name, data]) => ({ name: `${basename}/${name}`, data, type: "0", mode: 0o644, mtime })));
}

/**
 * Signs a gpkg again with another key, as `gpkg-sign` (gpkg.update_signature) does: the package
 * is verified first (with `verifyHome`, or only its Manifest digests when it may be unsigned), its
 * tarballs are kept byte for byte, and their signatures and the Manifest's are made anew. A cache
 * is used as createGpkg and openGpkg use it.
 */
export async function resignGpkg(buf: Buffer, signing: GpkgSigning, verifyHome: string | null, cache: DigestCache | null = null): Promise<Buffer> {
  const opened = await openGpkg(buf, verifyHome, cache);
  const outer = readTar(buf).filter((e) => e.type === "0");
  const tarballs = outer
    .map((e) => [e.name.slice(opened.basename.length + 1), e.data] as [string, Buffer])
    .filter(([name]) => /^(metadata|image)\.tar\.[a-z0-9]+$/.test(name));
  return assembleGpkg(opened.basename, outer[0]!.mtime, tarballs, signing, cache);
}

export interface OpenedGpkg {
  readonly basename: string;
  readonly metadata: Record<string, string>;
  readonly files: Record<string, Buffer>;
  readonly signed: boolean;
}

/**
 * Opens a gpkg: checks every member against the Manifest, and with a verify
 * home, the signatures as Portage does (GOODSIG and full or ultimate trust).
 * Throws SimError with Portage's wording when the package is not usable. With a cache, gpg's
 * good verdicts and zstd's output on the same bytes are not computed again.
 */
export async function openGpkg(buf: Buffer, verifyHome: string | null, cache: DigestCache | null = null): Promise<OpenedGpkg> {
  const entries = readTar(buf).filter((e) => e.type === "0");
  if (entries.length === 0) throw new SimError("!!! Invalid binary package: not a gpkg archive");
  const basename = entries[0]!.name.split("/")[0]!;
  const member = new Map(entries.map((e) => [e.name.slice(basename.length + 1), e.data]));
  if (!member.has("gpkg-1")) throw new SimError("!!! Invalid binary package: missing gpkg-1");
  const manifest = member.get("Manifest");
  if (manifest === undefined) throw new SimError("!!! Invalid binary package: missing Manifest");
  const text = manifest.toString("utf8");
  const signed = text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----");
  if (verifyHome !== null) {
    if (!signed) throw new SimError("Binary package is not usable (verification failed)", 1, "Binary package is not usable (verification failed):\nSummary: binpkg appears unsigned\n");
    const check = async (sig: Buffer, data?: Buffer): Promise<void> => {
      const r = await gpgVerify(verifyHome, sig, data, cache);
      if (!r.ok) throw new SimError("GnuPG verification failed", 1, `Binary package is not usable (verification failed):\nSummary: ${r.summary}\n${r.raw}\n`);
    };
    await check(manifest);
    for (const [name, data] of member) {
      if (!name.endsWith(".sig")) continue;
      const target = member.get(name.slice(0, -4));
      if (target !== undefined) await check(data, target);
    }
  }
  for (const line of text.split("\n")) {
    const m = /^DATA (\S+) (\d+) BLAKE2B ([0-9a-f]+) SHA512 ([0-9a-f]+)$/.exec(line);
    if (m === null) continue;
    const data = member.get(m[1]!);
    if (data === undefined || manifestLine(m[1]!, data) !== line) throw new SimError(`!!! Invalid binary package: Manifest digest mismatch for ${m[1]}`);
  }
  const pick = async (prefix: string): Promise<TarEntry[]> => {
    const name = [...member.keys()].find((n) => n.startsWith(`${prefix}.tar.`) && !n.endsWith(".sig"));
    if (name === undefined) throw new SimError(`!!! Invalid binary package: missing ${prefix}.tar`);
    return readTar(await decompress(member.get(name)!, name.slice(`${prefix}.tar.`.length), cache));
  };
  const metadata: Record<string, string> = {};
  for (const e of await pick("metadata")) if (e.type === "0") metadata[e.name.replace(/^metadata\//, "")] = e.data.toString("utf8");
  const files: Record<string, Buffer> = {};
  for (const e of await pick("image")) if (e.type === "0") files[e.name.replace(/^image/, "")] = e.data;
  return { basename, metadata, files, signed };
}
