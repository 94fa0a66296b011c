import { statSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type InstalledPackage, parseVdbEntry, readVdb, readVdbEntryFiles } from "@binfleet/shared/portage";
import type { PortageConfig } from "./portage-config.js";

interface CachedEntry {
  /** mtime of the entry directory when its files were read. */
  readonly m: number;
  readonly f: Record<string, string>;
}

/**
 * The installed packages, read through a cache as Portage reads them through
 * /var/cache/edb/vdb_metadata.pickle: an entry's files are read again only when its directory's
 * mtime changed. Merges replace an entry directory whole (written aside, then renamed), so a
 * changed entry always has a new mtime. A root where the cache cannot be written is read uncached.
 */
export async function readInstalled(config: PortageConfig): Promise<InstalledPackage[]> {
  const file = config.root.path("/var/cache/edb/binfleet-sim-vdb.json");
  const cached = await readFile(file, "utf8").then(
    (t) => (JSON.parse(t) as { v?: number; entries?: Record<string, CachedEntry> }).entries ?? {},
    () => ({}) as Record<string, CachedEntry>,
  );
  const next: Record<string, CachedEntry> = {};
  let changed = false;
  const installed = await readVdb(config.vdb, async (dir, category, pf) => {
    const key = `${category}/${pf}`;
    const m = statSync(dir).mtimeMs;
    let entry = cached[key];
    if (entry?.m !== m) {
      entry = { m, f: await readVdbEntryFiles(dir) };
      changed = true;
    }
    next[key] = entry;
    return parseVdbEntry(category, pf, entry.f);
  });
  if (changed || Object.keys(next).length !== Object.keys(cached).length) {
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify({ v: 1, entries: next }));
      await rename(`${file}.tmp`, file);
    } catch {
      // Read-only or full: the next call reads the vdb itself.
    }
  }
  return installed;
}
