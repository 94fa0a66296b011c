import { gunzipSync, gzipSync } from "node:zlib";
import { execa } from "execa";
import { SimError } from "./errors.js";

/** BINPKG_COMPRESS values the simulator writes, with the file suffix gpkg uses for each. */
export const COMPRESSORS = { zstd: "zst", gzip: "gz" } as const;
export type Compressor = keyof typeof COMPRESSORS;

export function compressorFor(name: string | undefined): Compressor {
  const c = (name ?? "zstd").trim() || "zstd";
  if (c !== "zstd" && c !== "gzip") throw new SimError(`!!! BINPKG_COMPRESS='${c}' is not supported by portage-sim (zstd, gzip)`);
  return c;
}

/** zstd goes through the real `zstd` binary (Node 20 has no zstd), gzip through zlib. */
export async function compress(data: Buffer, c: Compressor): Promise<Buffer> {
  if (c === "gzip") return gzipSync(data);
  const r = await execa("zstd", ["-q", "-c", "-3"], { input: data, encoding: "buffer", reject: false });
  if (r.exitCode !== 0) throw new SimError(`zstd failed: ${Buffer.from(r.stderr).toString().trim()}`);
  return Buffer.from(r.stdout);
}

export async function decompress(data: Buffer, suffix: string): Promise<Buffer> {
  if (suffix === "gz") return gunzipSync(data);
  if (suffix === "zst") {
    const r = await execa("zstd", ["-q", "-d", "-c"], { input: data, encoding: "buffer", reject: false });
    if (r.exitCode !== 0) throw new SimError(`zstd: corrupt data: ${Buffer.from(r.stderr).toString().trim()}`);
    return Buffer.from(r.stdout);
  }
  throw new SimError(`unsupported compression suffix .${suffix}`);
}
