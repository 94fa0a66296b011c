import { createHash } from "node:crypto";
import { lstat, mkdir, readFile, readdir, realpath, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { InstalledPackage } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import type { PortageConfig } from "./portage-config.js";

/** Portage's global merge counter (/var/cache/edb/counter). */
async function nextCounter(config: PortageConfig): Promise<number> {
  const file = config.root.path("/var/cache/edb/counter");
  let n = 0;
  try {
    n = Number((await readFile(file, "utf8")).trim()) || 0;
  } catch {
    n = 0;
  }
  n++;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, String(n));
  return n;
}

/**
 * A generated fleet links whole vdb categories into a shared store. Before
 * the first write, turn the category into a real directory of per-entry links,
 * so changing one node never changes another.
 */
async function ownCategory(vdb: string, category: string): Promise<string> {
  const dir = join(vdb, category);
  const st = await lstat(dir).catch(() => null);
  if (st === null) {
    await mkdir(dir, { recursive: true });
    return dir;
  }
  if (!st.isSymbolicLink()) return dir;
  const target = await realpath(dir);
  const entries = await readdir(target);
  const resolved = await Promise.all(entries.map(async (e) => [e, await realpath(join(target, e))] as const));
  await rm(dir);
  await mkdir(dir);
  for (const [name, real] of resolved) await symlink(relative(dir, real), join(dir, name));
  return dir;
}

/**
 * Merges a package into the simulated system: installs its files, writes the
 * vdb entry through a `-MERGING-` directory renamed into place, then removes
 * the replaced instance — so a reader never sees a half-written entry.
 */
export async function mergeToVdb(
  config: PortageConfig,
  category: string,
  pf: string,
  metadata: Readonly<Record<string, string>>,
  files: Readonly<Record<string, Buffer | string>>,
  replaced: InstalledPackage | null,
  diskFull: boolean,
): Promise<string[]> {
  const lines: string[] = [];
  const contents: string[] = [];
  const dirs = new Set<string>();
  const mtime = Math.floor(Date.now() / 1000);
  for (const path of Object.keys(files).sort()) {
    const parts = path.split("/");
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  for (const d of [...dirs].sort()) {
    contents.push(`dir ${d}`);
    lines.push(`--- ${d}/`);
  }
  if (diskFull) throw new SimError(`!!! Failed to merge ${category}/${pf}: [Errno 28] No space left on device`);
  for (const [path, data] of Object.entries(files).sort()) {
    const full = config.root.path(path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, data);
    contents.push(`obj ${path} ${createHash("md5").update(data).digest("hex")} ${mtime}`);
    lines.push(`>>> ${path}`);
  }
  contents.sort((a, b) => a.slice(4).localeCompare(b.slice(4)));
  const catDir = await ownCategory(config.vdb, category);
  if (replaced !== null) await ownCategory(config.vdb, replaced.cpv.category);
  const tmp = join(catDir, `-MERGING-${pf}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const counter = await nextCounter(config);
  const all: Record<string, string> = { ...metadata, COUNTER: String(counter), CONTENTS: `${contents.join("\n")}\n` };
  for (const [k, v] of Object.entries(all)) await writeFile(join(tmp, k), v);
  const dest = join(catDir, pf);
  if (replaced !== null && `${replaced.cpv.category}/${replaced.cpv.package}-${replaced.cpv.version.raw}` !== `${category}/${pf}`) {
    await rm(join(config.vdb, replaced.cpv.category, `${replaced.cpv.package}-${replaced.cpv.version.raw}`), { recursive: true, force: true });
  }
  // A previous instance of the same pf (reinstall) may be a symlink into a shared store: unlink, never write through it.
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
  return lines;
}

/** Removes an installed package's vdb entry (its files are left: they are shared placeholders in the simulation). */
export async function unmergeFromVdb(config: PortageConfig, p: InstalledPackage): Promise<void> {
  await ownCategory(config.vdb, p.cpv.category);
  await rm(join(config.vdb, p.cpv.category, `${p.cpv.package}-${p.cpv.version.raw}`), { recursive: true, force: true });
}
