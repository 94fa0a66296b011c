import { tryParseCpv } from "@binfleet/shared";
import { type AgentReport, MergeKind, type Platform } from "@binfleet/shared/wire";

/** One line of a node's pending `emerge -pvuDN --getbinpkg @world` that installs something. */
export interface PendingMerge {
  readonly cpv: string;
  /** Enabled USE within IUSE, sorted. */
  readonly use: readonly string[];
  /** Flags emerge shows off: with `use`, every visible IUSE flag. */
  readonly disabled: readonly string[];
  /** `[binary]` already: the node would take a binary package. */
  readonly binary: boolean;
  readonly downloadBytes: number;
}

export interface CommandOutcome {
  readonly commandId: string;
  readonly success: boolean;
  readonly error: string;
  readonly at: number;
  readonly installedBinary: number;
  readonly compiledLocally: number;
}

/** What the coordinator knows of a node: its latest accepted report, liveness and last command outcome. */
export interface NodeRecord {
  readonly nodeId: string;
  readonly platformKey: string;
  readonly platform: Platform | undefined;
  /** The main repository's snapshot id as the node reported it. */
  readonly snapshotId: string;
  readonly reportedAt: number;
  /** When the coordinator accepted the report (its own clock, unlike reportedAt). */
  readonly receivedAt: number;
  readonly pending: readonly PendingMerge[];
  readonly planError: string;
  heartbeatAt: number;
  agentState: string;
  lastOutcome: CommandOutcome | null;
}

export type NodeState = "current" | "pending" | "updating" | "stale" | "failed";

/**
 * The fleet as the coordinator sees it. Rebuilt on start from the latest report
 * of every node (the reports stream is the store); heartbeats only refresh liveness.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();

  constructor(private readonly staleAfterMs: number) {}

  /** Records an accepted report; returns the previous record. */
  report(r: AgentReport, now: number): NodeRecord | undefined {
    const prev = this.nodes.get(r.nodeId);
    const pending = r.plan
      .filter((p) => (p.kind === MergeKind.EBUILD || p.kind === MergeKind.BINARY) && tryParseCpv(p.cpv) !== null)
      .map((p) => ({ cpv: p.cpv, use: [...p.use].sort(), disabled: [...p.useDisabled].sort(), binary: p.kind === MergeKind.BINARY, downloadBytes: Number(p.downloadBytes) }));
    const snapshot = r.snapshots.find((s) => s.repo === "gentoo") ?? r.snapshots[0];
    // A report is proof of life too: a node whose report is fresh is not stale before its first heartbeat arrives.
    this.nodes.set(r.nodeId, {
      nodeId: r.nodeId,
      platformKey: r.platform?.key ?? "",
      platform: r.platform,
      snapshotId: snapshot?.id ?? "",
      reportedAt: Number(r.generatedAtUnixMs),
      receivedAt: now,
      pending,
      planError: r.planError,
      heartbeatAt: Math.max(prev?.heartbeatAt ?? 0, now),
      agentState: prev?.agentState ?? "running",
      lastOutcome: prev?.lastOutcome ?? null,
    });
    return prev;
  }

  heartbeat(nodeId: string, agentState: string, now: number): boolean {
    const n = this.nodes.get(nodeId);
    if (n === undefined) return false;
    const wasOnline = this.online(nodeId, now);
    n.heartbeatAt = now;
    n.agentState = agentState;
    return !wasOnline;
  }

  finished(nodeId: string, outcome: CommandOutcome): void {
    const n = this.nodes.get(nodeId);
    if (n !== undefined && (n.lastOutcome === null || n.lastOutcome.at <= outcome.at)) n.lastOutcome = outcome;
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  /** Every node, sorted by id. */
  all(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  online(nodeId: string, now: number): boolean {
    const n = this.nodes.get(nodeId);
    return n !== undefined && now - n.heartbeatAt <= this.staleAfterMs;
  }

  state(n: NodeRecord, now: number): NodeState {
    if (now - n.heartbeatAt > this.staleAfterMs) return "stale";
    if (n.agentState === "emerging") return "updating";
    // A failed update counts until a newer report shows where the node stands.
    if (n.lastOutcome !== null && !n.lastOutcome.success && n.lastOutcome.at >= n.reportedAt) return "failed";
    return n.pending.length === 0 ? "current" : "pending";
  }
}
