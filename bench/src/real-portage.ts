// Real Portage for the format figures and the agreement test: the source tarball from
// ../shared/portage (or $BINFLEET_PORTAGE), unpacked once into a cache directory and run
// from source with python3. Only its parsing modules are used, which need no portage
// user, configuration root or make.globals: PYTHONPATH=<src>/lib is the whole setup.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The Python side of the comparison (bench/portage-formats.py). */
export const portageScript = join(repoRoot, "bench", "portage-formats.py");

export interface RealPortage {
  /** The unpacked source tree (holds lib/portage). */
  readonly root: string;
  /** From the tarball's name, e.g. "3.0.82". */
  readonly version: string;
}

/** Where the tarball is expected, and why it is not usable (null when it is). */
export function portageTarball(): { path: string | null; missing: string | null } {
  const dir = process.env["BINFLEET_PORTAGE"] ?? join(repoRoot, "..", "shared", "portage");
  const name = existsSync(dir) ? readdirSync(dir).find((f) => /^portage-\d.*\.tar\.gz$/.test(f)) : undefined;
  if (name === undefined) return { path: null, missing: `no Portage source tarball in ${dir} (set BINFLEET_PORTAGE)` };
  return { path: join(dir, name), missing: null };
}

/**
 * Unpacks the tarball into `$XDG_CACHE_HOME/binfleet/bench/portage-<sha>` (once; later
 * calls reuse it) and returns it, or null when there is no tarball.
 */
export async function realPortage(): Promise<RealPortage | null> {
  const { path } = portageTarball();
  if (path === null) return null;
  const sha = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
  const cache = join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "binfleet", "bench");
  const root = join(cache, `portage-${sha}`);
  const lib = join(root, "lib", "portage");
  if (!existsSync(lib)) {
    await mkdir(cache, { recursive: true });
    const tmp = await mkdtemp(join(cache, "portage-unpack-"));
    try {
      await execa("tar", ["-xzf", path, "-C", tmp, "--strip-components=1"]);
      // Another run may have unpacked it meanwhile: then theirs stays and ours goes.
      await rename(tmp, root).catch(() => undefined);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    if (!existsSync(lib)) throw new Error(`${root} exists but holds no lib/portage`);
  }
  return { root, version: /^portage-(\d+(?:\.\d+)*)/.exec(basename(path))![1]! };
}

/** The environment python3 needs to import Portage from source: its lib and UTF-8 I/O, nothing else. */
export function portageEnv(portage: RealPortage): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", PYTHONPATH: join(portage.root, "lib"), PYTHONUTF8: "1" };
}
