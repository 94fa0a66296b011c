import { type PackagesIndex, toBinaryPackage } from "@binfleet/shared";
import { variantKey } from "../planning/build-planner.js";

/**
 * The variant key of an installed or built package. vdb and Packages record USE with
 * the arch flag and more; only flags in IUSE (`+`/`-` defaults stripped) make the
 * variant, as for the nodes' plans.
 */
export function installedVariantKey(platformKey: string, cpv: string, use: readonly string[], iuse: readonly string[]): string {
  const names = new Set(iuse.map((f) => f.replace(/^[+-]/, "")));
  return variantKey({ platformKey, cpv, use: use.filter((f) => names.has(f)).sort() });
}

/** The variants a binhost index holds, one per package (in index order), with each package's size. */
export function binhostVariants(platformKey: string, index: PackagesIndex): { key: string; size: number }[] {
  return index.packages.map((stanza) => {
    const b = toBinaryPackage(stanza, index.header);
    return { key: installedVariantKey(platformKey, b.cpv.cpv, b.use, b.iuse), size: b.size ?? 0 };
  });
}

/** The variant keys a binhost index holds. */
export function heldVariants(platformKey: string, index: PackagesIndex): string[] {
  return binhostVariants(platformKey, index).map((v) => v.key);
}
