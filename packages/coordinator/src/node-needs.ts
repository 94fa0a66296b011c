import { type PackagesIndex, toBinaryPackage } from "@binfleet/shared";
import { type AgentReport, MergeKind } from "@binfleet/shared/wire";
import { type NodeNeeds, variantKey } from "./build-planner.js";

/** What a report says the node would compile: its `[ebuild]` entries, in merge order. */
export function needsFromReport(report: AgentReport): NodeNeeds {
  return {
    nodeId: report.nodeId,
    platformKey: report.platform?.key ?? "",
    wants: report.plan.filter((p) => p.kind === MergeKind.EBUILD).map((p) => ({ cpv: p.cpv, use: p.use })),
  };
}

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
