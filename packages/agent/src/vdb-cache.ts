import { statSync } from "node:fs";
import { type InstalledPackage, readVdb, readVdbEntry } from "@binfleet/shared";

/**
 * The installed packages, an entry's files read and parsed again only when its directory's mtime
 * changed, as Portage's own vdb cache does: a merge replaces an entry directory whole. Each report
 * then reads the dozen files of only what changed since the last one, not of every package
 * (~0.5 CPU-s for 160 packages on a small VM).
 */
export class VdbCache {
  private entries = new Map<string, { readonly mtimeMs: number; readonly pkg: InstalledPackage }>();

  constructor(private readonly vdbRoot: string) {}

  async read(): Promise<InstalledPackage[]> {
    const next = new Map<string, { readonly mtimeMs: number; readonly pkg: InstalledPackage }>();
    const installed = await readVdb(this.vdbRoot, async (dir, category, pf) => {
      // Stat first: an entry replaced while it is read is read again next time (its mtime changed).
      // Synchronously: through fs/promises a stat costs several times the call (see readVdbEntryFiles).
      const mtimeMs = statSync(dir).mtimeMs;
      const known = this.entries.get(dir);
      const pkg = known !== undefined && known.mtimeMs === mtimeMs ? known.pkg : await readVdbEntry(dir, category, pf);
      next.set(dir, { mtimeMs, pkg });
      return pkg;
    });
    this.entries = next;
    return installed;
  }
}
