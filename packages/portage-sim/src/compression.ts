import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { DigestCache } from "./digest-cache.js";
import { lazyExeca } from "./lazy-execa.js";
import { SimError } from "./errors.js";
import { readStoredZstd, storedZstdFrame } from "./stored-zstd.js";

/** BINPKG_COMPRESS values the simulator writes, with the file suffix gpkg uses for each. */
export const COMPRESSORS = { zstd: "zst", gzip: "gz" } as const;
export type Compressor = keyof typeof COMPRESSORS;

export function compressorFor(name: string | undefined): Compressor {
  const c = (name ?? "zstd").trim() || "zstd";
  if (c !== "zstd" && c !== "gzip") throw new SimError(`!!! BINPKG_COMPRESS='${c}' is not supported by portage-sim (zstd, gzip)`);
  return c;
}

/**
 * Runs the real `zstd` (Node 20 has none) on a file rather than a pipe: under
 * load, piped input was seen to arrive short ("premature end"). Only for frames zstd itself made.
 */
async function unzstd(data: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-zstd-"));
  try {
    const input = join(dir, "in");
    await writeFile(input, data);
    const r = await (await lazyExeca())("zstd", ["-q", "-d", "-o", join(dir, "out"), input], { reject: false, stdin: "ignore" });
    if (r.exitCode !== 0) throw new SimError(`zstd: ${r.stderr.trim()}`);
    return await readFile(join(dir, "out"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const unzstdKey = (compressed: Buffer): string => DigestCache.key("zstd -d", compressed);

/** zstd output is a frame of stored blocks (see stored-zstd.ts): valid zstd, made without a process. */
export function compress(data: Buffer, c: Compressor): Buffer {
  return c === "gzip" ? gzipSync(data) : storedZstdFrame(data);
}

export async function decompress(data: Buffer, suffix: string, cache: DigestCache | null = null): Promise<Buffer> {
  if (suffix === "gz") return gunzipSync(data);
  if (suffix !== "zst") throw new SimError(`unsupported compression suffix .${suffix}`);
  const stored = readStoredZstd(data);
  if (stored !== null) return stored;
  const cached = await cache?.get(unzstdKey(data));
  if (cached !== undefined && cached !== null) return cached;
  const out = await unzstd(data);
  await cache?.put(unzstdKey(data), out);
  return out;
}
