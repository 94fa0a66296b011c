import type { NodeSummary } from "@binfleet/shared/wire";

/** The numbers of one platform (or the whole fleet) on the fleet page, all from `binfleet nodes --json`'s rows. */
export interface FleetCounts {
  nodes: number;
  /** state "current": nothing to install. */
  current: number;
  /** Nodes with binaries waiting for them on the binhost (pendingBinary > 0), and how many binaries. */
  pendingBinaryNodes: number;
  pendingBinaries: number;
  /** Nodes that would compile something (pendingCompile > 0), and how many packages. */
  compileNodes: number;
  compiles: number;
  updating: number;
  failed: number;
  /** state "stale": no heartbeat or report for staleAfterSeconds, i.e. offline. */
  stale: number;
  platformChanged: number;
}

export interface PlatformCounts extends FleetCounts {
  readonly key: string;
  readonly name: string;
}

export interface FleetSummary {
  readonly total: FleetCounts;
  readonly platforms: readonly PlatformCounts[];
}

const zero = (): FleetCounts => ({ nodes: 0, current: 0, pendingBinaryNodes: 0, pendingBinaries: 0, compileNodes: 0, compiles: 0, updating: 0, failed: 0, stale: 0, platformChanged: 0 });

function add(c: FleetCounts, n: NodeSummary): void {
  c.nodes++;
  if (n.state === "current") c.current++;
  if (n.state === "updating") c.updating++;
  if (n.state === "failed") c.failed++;
  if (n.state === "stale") c.stale++;
  if (n.state === "platform-changed") c.platformChanged++;
  if (n.pendingBinary > 0) c.pendingBinaryNodes++;
  if (n.pendingCompile > 0) c.compileNodes++;
  c.pendingBinaries += n.pendingBinary;
  c.compiles += n.pendingCompile;
}

/** Per platform (sorted by name, then key) and in total: aggregated on the server, so a 10,000-node fleet is a few rows. */
export function summarizeFleet(nodes: Iterable<NodeSummary>): FleetSummary {
  const total = zero();
  const by = new Map<string, PlatformCounts>();
  for (const n of nodes) {
    let p = by.get(n.platformKey);
    if (p === undefined) by.set(n.platformKey, (p = { key: n.platformKey, name: n.platformName, ...zero() }));
    add(p, n);
    add(total, n);
  }
  const platforms = [...by.values()].sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
  return { total, platforms };
}

/** The columns of the fleet table, in order, with their headings. */
export const COUNT_COLUMNS: readonly (readonly [keyof FleetCounts, string])[] = [
  ["nodes", "nodes"],
  ["current", "current"],
  ["pendingBinaryNodes", "binaries pending (nodes)"],
  ["pendingBinaries", "binaries pending"],
  ["compileNodes", "would compile (nodes)"],
  ["compiles", "packages to compile"],
  ["updating", "updating"],
  ["failed", "failed"],
  ["stale", "offline (stale)"],
  ["platformChanged", "platform changed"],
];
