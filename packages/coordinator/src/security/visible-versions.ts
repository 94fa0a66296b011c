import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PackageSet, type SlottedPackage, tryParseCpv } from "@binfleet/shared";
import type { PortageqRunner } from "../builders/builder-tree.js";

/** The ebuilds a platform's builders see of some packages: what a GLSA's fix may be. */
export interface VisibleVersions {
  /** Each visible ebuild with its SLOT (a GlsaSystem's `available`). */
  readonly set: PackageSet;
  /** IUSE of each visible ebuild (as in the metadata cache, `+`/`-` defaults kept), by cpv. */
  readonly iuse: ReadonlyMap<string, readonly string[]>;
}

export const NO_VERSIONS: VisibleVersions = { set: PackageSet.of([]), iuse: new Map() };

/** Packages per portageq call: argv stays far below the kernel's limit. */
const BATCH = 500;

/**
 * Asks a builder root's Portage which ebuilds of `cps` it would install (`portageq pquery`:
 * keywords, masks and licenses applied as for a build), and reads each one's SLOT and IUSE from
 * its repository's metadata cache (`metadata/md5-cache/<cat>/<pf>`, what Portage reads too).
 * An ebuild without a cache entry in any of `repoDirs` is left out.
 */
export async function visibleVersions(portageq: PortageqRunner, repoDirs: readonly string[], cps: readonly string[]): Promise<VisibleVersions> {
  const found: SlottedPackage[] = [];
  const iuse = new Map<string, readonly string[]>();
  for (let i = 0; i < cps.length; i += BATCH) {
    const r = await portageq(["pquery", ...cps.slice(i, i + BATCH)]);
    if (r.exitCode !== 0) throw new Error(`portageq pquery exited ${r.exitCode}`);
    for (const line of r.stdout.split("\n")) {
      const cpv = tryParseCpv(line.trim());
      if (cpv === null || iuse.has(cpv.cpv)) continue;
      const cache = await cacheEntry(repoDirs, `${cpv.category}/${cpv.package}-${cpv.version.raw}`);
      const slot = cache?.get("SLOT");
      if (cache === null || slot === undefined) continue;
      found.push({ cpv: cpv.cpv, slot });
      iuse.set(cpv.cpv, (cache.get("IUSE") ?? "").split(/\s+/).filter((f) => f !== ""));
    }
  }
  // A tree whose cache holds a SLOT no atom can name is the tree's problem: those ebuilds are left out.
  const valid = found.filter((p) => {
    try {
      PackageSet.of([p]);
      return true;
    } catch {
      iuse.delete(p.cpv);
      return false;
    }
  });
  return { set: PackageSet.of(valid), iuse };
}

async function cacheEntry(repoDirs: readonly string[], pf: string): Promise<Map<string, string> | null> {
  for (const dir of repoDirs) {
    const text = await readFile(join(dir, "metadata/md5-cache", pf), "utf8").catch(() => null);
    if (text === null) continue;
    const out = new Map<string, string>();
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return out;
  }
  return null;
}
