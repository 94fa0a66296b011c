// What the nightly job reports: its log line and the webhook's body.

export interface PlatformPending {
  readonly name: string;
  readonly key: string;
  readonly nodes: number;
  readonly buildList: number;
  readonly waitingApproval: number;
  readonly failed: number;
}

/** A security advisory exposing nodes of the fleet that no earlier report named (new, revised, or newly affecting the fleet). */
export interface NewAdvisory {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  /** Nodes exposed, sorted. */
  readonly nodes: readonly string[];
  /** Their platforms (keys), sorted. */
  readonly platforms: readonly string[];
}

/** What the nightly job reports (log line and webhook body). */
export interface PendingUpdatesReport {
  readonly at: string;
  readonly trigger: string;
  readonly platforms: readonly (PlatformPending & { readonly fetchFailed: boolean })[];
  /** Nodes told to sync and re-report (those already on the builders' snapshot are left alone). */
  readonly nodesAsked: readonly string[];
  /** Online nodes that did not re-report after the sync (their plans are older than the tree). */
  readonly nodesNotReported: readonly string[];
  readonly buildersNotSynced: readonly string[];
  /** Advisories affecting the fleet that no earlier report named (`binfleet glsa show ID`, `binfleet glsa fix ID`). */
  readonly advisories: readonly NewAdvisory[];
}
