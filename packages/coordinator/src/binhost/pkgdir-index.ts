import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parsePackagesIndex } from "@binfleet/shared";
import { pkgdirOf } from "../builders/root-portage.js";
import type { PlatformConfig } from "../config/coordinator-config.js";
import { binhostVariants } from "../ingest/node-needs.js";

export interface HeldVariants {
  /** Each binary's variant key and size, in index order. */
  readonly variants: readonly { readonly key: string; readonly size: number }[];
  readonly keys: ReadonlySet<string>;
}

/**
 * The variants each builder root's `$PKGDIR/Packages` holds, read and parsed again only when the
 * file was replaced (Portage renames a new index over the old one: another inode) or changed. A
 * build reads it to see its variant there, and the coordinator right after to take the build in:
 * one parse serves both (a 30,000-entry index takes 150 ms to parse).
 */
export class PkgdirIndexes {
  private readonly cache = new Map<string, { stamp: string; held: HeldVariants }>();

  /** What the platform's PKGDIR holds, or null when it has no index yet. */
  async held(p: PlatformConfig): Promise<HeldVariants | null> {
    const file = join(pkgdirOf(p), "Packages");
    const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return null;
      throw err;
    });
    if (st === null) return null;
    const stamp = `${p.key}|${st.ino}|${st.size}|${st.mtimeMs}`;
    const cached = this.cache.get(file);
    if (cached?.stamp === stamp) return cached.held;
    const variants = binhostVariants(p.key, parsePackagesIndex(await readFile(file, "utf8")));
    const held = { variants, keys: new Set(variants.map((v) => v.key)) };
    this.cache.set(file, { stamp, held });
    return held;
  }
}
