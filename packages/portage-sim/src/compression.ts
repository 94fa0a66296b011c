import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { DigestCache } from "./digest-cache.js";
import { lazyExeca } from "./lazy-execa.js";
import { SimError } from "./errors.js";

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
 * load, piped input was seen to arrive short ("premature end").
 */
async function zstd(args: readonly string[], data: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-zstd-"));
  try {
    const input = join(dir, "in");
    await writeFile(input, data);
    const r = await (await lazyExeca())("zstd", [...args, "-o", join(dir, "out"), input], { reject: false, stdin: "ignore" });
    if (r.exitCode !== 0) throw new SimError(`zstd: ${r.stderr.trim()}`);
    return await readFile(join(dir, "out"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const unzstdKey = (compressed: Buffer): string => DigestCache.key("zstd -d", compressed);

/** With a cache, zstd's output is remembered with its input: decompressing it later runs no zstd. */
export async function compress(data: Buffer, c: Compressor, cache: DigestCache | null = null): Promise<Buffer> {
  if (c === "gzip") return gzipSync(data);
  const out = await zstd(["-q", "-3"], data);
  await cache?.put(unzstdKey(out), data);
  return out;
}

export async function decompress(data: Buffer, suffix: string, cache: DigestCache | null = null): Promise<Buffer> {
  if (suffix === "gz") return gunzipSync(data);
  if (suffix !== "zst") throw new SimError(`unsupported compression suffix .${suffix}`);
  const cached = await cache?.get(unzstdKey(data));
  if (cached !== undefined && cached !== null) return cached;
  const out = await zstd(["-q", "-d"], data);
  await cache?.put(unzstdKey(data), out);
  return out;
}
