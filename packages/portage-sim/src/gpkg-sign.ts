import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { signingSettings, verifyHome } from "./binpkg.js";
import { DigestCache } from "./digest-cache.js";
import { SimError } from "./errors.js";
import { openGpkg, resignGpkg } from "./gpkg.js";
import type { Output } from "./output.js";
import { loadPortageConfig } from "./portage-config.js";
import { SimRoot } from "./sim-root.js";

/**
 * `gpkg-sign [--allow-unsigned] [--skip-signed] <file>`: signs an existing gpkg again with
 * BINPKG_GPG_SIGNING_KEY, as Portage's bin/gpkg-sign does. The package must verify first (unless
 * it is unsigned and --allow-unsigned is given); the file is replaced atomically. It does not touch
 * Packages: `emaint binhost --fix` re-indexes the files whose size and mtime changed.
 */
export async function runGpkgSign(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const allowUnsigned = argv.includes("--allow-unsigned");
  const skipSigned = argv.includes("--skip-signed");
  // argparse's parse_known_args: unknown options are ignored, the first other word is the file.
  const file = argv.find((a) => !a.startsWith("-"));
  if (file === undefined) {
    out.err("usage: gpkg-sign [options] <gpkg package file>\ngpkg-sign: error: no GPKG oackage file specified\n");
    return 2;
  }
  const config = await loadPortageConfig(SimRoot.fromEnv(env), env);
  const path = config.root.path(file);
  const eerror = (text: string): number => {
    out.err(` * ${text}\n`);
    return 1;
  };
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    return eerror(`File not found: ${file}`);
  }
  let signed: boolean;
  try {
    signed = (await openGpkg(data, null)).signed;
    if (signed && skipSigned) {
      out.out(` * ${file} already signed, skipping.\n`);
      return 0;
    }
    if (!signed && !(allowUnsigned || !config.features.has("binpkg-request-signature"))) return eerror(`Signature exception: ${file}`);
  } catch {
    return eerror(`Invalid binary package format: ${file}`);
  }
  let resigned: Buffer;
  try {
    resigned = await resignGpkg(data, signingSettings(config), signed ? verifyHome(config) : null, DigestCache.fromEnv(env));
  } catch (err) {
    if (err instanceof SimError && err.message.startsWith("!!! BINPKG_GPG_SIGNING")) throw err;
    return eerror(`Signature exception: ${file}`);
  }
  const tmp = `${path}.gpkg-sign.tmp`;
  try {
    await writeFile(tmp, resigned);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new SimError(`OSError: ${(err as Error).message}`);
  }
  out.out(` * ${file} signed.\n`);
  return 0;
}
