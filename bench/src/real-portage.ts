// Real Portage for the format figures and the agreement test: @binfleet/real-portage prepares the
// source from ../shared/portage (or $BINFLEET_PORTAGE) once; only its parsing modules are used
// here, which need no portage user, configuration root or make.globals: PYTHONPATH is the whole setup.
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { locatePortage, preparePortage, skipNote } from "@binfleet/real-portage";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The Python side of the comparison (bench/portage-formats.py). */
export const portageScript = join(repoRoot, "bench", "portage-formats.py");

export interface RealPortage {
  /** PYTHONPATH: the unpacked source's lib. */
  readonly lib: string;
  /** From the tarball's name, e.g. "3.0.82". */
  readonly version: string;
}

/** Why real Portage cannot be used here (null when it can). */
export function portageMissing(): string | null {
  return locatePortage() === null ? skipNote : null;
}

/** The prepared source, or null when there is no tarball. */
export async function realPortage(): Promise<RealPortage | null> {
  const where = locatePortage();
  if (where === null) return null;
  const prepared = await preparePortage();
  return { lib: prepared.lib, version: /^portage-(\d+(?:\.\d+)*)/.exec(basename(where.tarball))![1]! };
}

/** The environment python3 needs to import Portage from source: its lib and UTF-8 I/O, nothing else. */
export function portageEnv(portage: RealPortage): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", PYTHONPATH: portage.lib, PYTHONUTF8: "1" };
}
