import { type PackagesIndex, toBinaryPackage } from "@binfleet/shared";
import { variantKey } from "./build-planner.js";

/**
 * The variants a binhost index holds. A binary's USE is recorded with the arch
 * flag and more; only flags in its IUSE make the variant, as for the nodes.
 */
export function heldVariants(platformKey: string, index: PackagesIndex): string[] {
  return index.packages.map((stanza) => {
    const b = toBinaryPackage(stanza, index.header);
    const iuse = new Set(b.iuse.map((f) => f.replace(/^[+-]/, "")));
    return variantKey({ platformKey, cpv: b.cpv.cpv, use: b.use.filter((f) => iuse.has(f)).sort() });
  });
}
