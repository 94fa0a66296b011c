import { type PackagesIndex, type Stanza, compareVersions, field, toBinaryPackage, withField } from "@binfleet/shared";
import { installedVariantKey } from "../ingest/node-needs.js";

export interface GarbagePlan {
  readonly keep: readonly Stanza[];
  readonly remove: readonly { readonly stanza: Stanza; readonly cpv: string; readonly path: string; readonly size: number }[];
}

/**
 * Which binaries of one platform's index can go: those no node has installed
 * or pending (with the same USE), except the `keepVersions` newest versions of
 * each package, kept whole for nodes that are not reporting right now.
 */
export function planGarbage(index: PackagesIndex, platformKey: string, needed: ReadonlySet<string>, keepVersions: number): GarbagePlan {
  const byCp = new Map<string, { stanza: Stanza; b: ReturnType<typeof toBinaryPackage> }[]>();
  for (const stanza of index.packages) {
    const b = toBinaryPackage(stanza, index.header);
    const list = byCp.get(b.cpv.cp) ?? [];
    list.push({ stanza, b });
    byCp.set(b.cpv.cp, list);
  }
  const keep: Stanza[] = [];
  const remove: GarbagePlan["remove"][number][] = [];
  for (const entries of byCp.values()) {
    const versions = [...new Map(entries.map((e) => [e.b.cpv.version.raw, e.b.cpv.version])).values()].sort((a, b) => compareVersions(b, a));
    const newest = new Set(versions.slice(0, keepVersions).map((v) => v.raw));
    for (const { stanza, b } of entries) {
      const key = installedVariantKey(platformKey, b.cpv.cpv, b.use, b.iuse);
      if (newest.has(b.cpv.version.raw) || needed.has(key)) keep.push(stanza);
      else remove.push({ stanza, cpv: b.cpv.cpv, path: field(stanza, "PATH") ?? defaultPath(b.cpv.cpv, index.header), size: b.size ?? 0 });
    }
  }
  return { keep, remove };
}

/** Where Portage puts a binary when the index has no PATH: `<cat>/<pf>.tbz2` (xpak) or `.gpkg.tar`. */
function defaultPath(cpv: string, header: Stanza): string {
  return `${cpv}${field(header, "BINPKG_FORMAT") === "gpkg" ? ".gpkg.tar" : ".tbz2"}`;
}

/**
 * The index without the removed packages, its PACKAGES count and TIMESTAMP updated as Portage does,
 * except that TIMESTAMP always moves forward: an index written in the second of the one it replaces
 * would otherwise carry the same TIMESTAMP, the one thing Portage tells its copies apart by (its
 * If-Modified-Since, and whether it takes a new index at all; see IndexVersions).
 */
export function prunedIndex(index: PackagesIndex, keep: readonly Stanza[], now: Date): PackagesIndex {
  const previous = Number(field(index.header, "TIMESTAMP") ?? 0);
  let header = withField(index.header, "PACKAGES", String(keep.length));
  header = withField(header, "TIMESTAMP", String(Math.max(Math.floor(now.getTime() / 1000), Number.isSafeInteger(previous) ? previous + 1 : 0)));
  return { header, packages: keep, trailingBlankLine: true };
}
