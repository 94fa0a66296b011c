import type { PackageRef } from "../atom.js";
import { type Cpv, parseCpv } from "../cpv.js";
import { PortageFormatError } from "../errors.js";
import { clip } from "../clip.js";

const SLOT = String.raw`[\p{L}\p{N}_+][\p{L}\p{N}_+.-]*`;
/** A SLOT value as Portage writes it in metadata: `slot` or `slot/subslot`. */
export const SLOT_RE = new RegExp(`^${SLOT}(?:/${SLOT})?$`, "u");

/** A package version with its SLOT, as a vdb entry or an ebuild's metadata gives it. */
export interface SlottedPackage {
  /** `category/package-version`, e.g. "dev-libs/openssl-3.0.13-r1". */
  readonly cpv: string;
  /** SLOT, optionally with the sub-slot: "0", "3.12", "0/3". */
  readonly slot: string;
}

/** One member of a {@link PackageSet}: parsed, ready for `atomMatches`. */
export interface PackageSetEntry extends PackageRef {
  readonly cpv: Cpv;
  readonly slot: string;
  readonly subslot: string;
}

/**
 * A set of package versions indexed by `category/package`: what Portage's dbapi `match`
 * looks at. Build one per installed set (a node's vdb) and one per set of visible ebuilds
 * (a snapshot's tree as a platform sees it), then match many atoms against them.
 */
export class PackageSet {
  private constructor(
    private readonly byCp: ReadonlyMap<string, readonly PackageSetEntry[]>,
    private readonly cpvs: ReadonlySet<string>,
  ) {}

  /**
   * Indexes `packages`; throws {@link PortageFormatError} for a bad cpv or SLOT, or a cpv
   * given twice with different SLOTs (a database holds one entry per cpv; an exact repeat is one entry).
   */
  static of(packages: Iterable<SlottedPackage>): PackageSet {
    const byCpv = new Map<string, PackageSetEntry>();
    for (const p of packages) {
      if (!SLOT_RE.test(p.slot)) throw new PortageFormatError(`invalid SLOT '${clip(p.slot, 80)}' for ${clip(p.cpv, 120)}`, "slot", clip(p.slot));
      const seen = byCpv.get(p.cpv);
      if (seen !== undefined) {
        if (`${seen.slot}/${seen.subslot}` !== slotPair(p.slot)) throw new PortageFormatError(`${clip(p.cpv, 120)} is listed twice with different SLOTs`, "cpv", clip(p.cpv));
        continue;
      }
      const [slot, subslot] = slotPair(p.slot).split("/") as [string, string];
      byCpv.set(p.cpv, { cpv: parseCpv(p.cpv), slot, subslot });
    }
    const byCp = new Map<string, PackageSetEntry[]>();
    for (const e of byCpv.values()) {
      const list = byCp.get(e.cpv.cp);
      if (list === undefined) byCp.set(e.cpv.cp, [e]);
      else list.push(e);
    }
    return new PackageSet(byCp, new Set(byCpv.keys()));
  }

  /** Whether the set holds exactly this cpv string (Portage's databases key entries by it: 1.2 is not 1.2-r0). */
  has(cpv: string): boolean {
    return this.cpvs.has(cpv);
  }

  /** The versions of `category/package`, in the order given. */
  forCp(cp: string): readonly PackageSetEntry[] {
    return this.byCp.get(cp) ?? [];
  }
}

// Portage's _pkg_str: a SLOT without sub-slot has the slot as its sub-slot.
function slotPair(slot: string): string {
  return slot.includes("/") ? slot : `${slot}/${slot}`;
}
