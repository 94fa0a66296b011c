import type { Logger } from "@binfleet/shared";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandAction, CommandSender } from "../node-commands/command-sender.js";
import type { BuildQueue } from "../planning/build-queue.js";

const UPDATE: CommandAction = { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [], rolloutId: "" } };

/**
 * With `policy.notify: auto`: once everything a node would compile is on its binhost, it is told
 * (once per plan) to `emerge -g`. With `rollout`, updates wait for `binfleet rollout`.
 */
export class UpdateNotifier {
  /** The plan each node was last told to update for. */
  private readonly notified = new Map<string, string>();

  constructor(
    private readonly mode: "auto" | "rollout",
    private readonly registry: NodeRegistry,
    private readonly queue: BuildQueue,
    private readonly commands: CommandSender,
    private readonly log: Logger,
  ) {}

  async maybeNotify(node: string): Promise<void> {
    if (!this.due(node)) return;
    await this.commands.send(node, UPDATE);
    this.log.info({ node }, "node notified to update");
  }

  /** Every node of a platform, after a build there finished: the ones due, in one batch. */
  async platformChanged(platformKey: string): Promise<void> {
    const due = this.registry.all().filter((n) => n.platformKey === platformKey && this.due(n.nodeId)).map((n) => n.nodeId);
    if (due.length === 0) return;
    await this.commands.sendMany(due.map((node) => ({ node, action: UPDATE })));
    this.log.info({ platform: platformKey, nodes: due.length, first: due.slice(0, 10) }, "nodes notified to update");
  }

  /** Whether the node is to be told now; it is counted as told. */
  private due(node: string): boolean {
    if (this.mode !== "auto") return false;
    const n = this.registry.get(node);
    // A node behind the snapshot syncs first (it was told to); updating now would compile from other ebuilds.
    if (n === undefined || n.pending.length === 0 || this.queue.snapshotBehind(n.snapshotId) || !this.queue.planner.nodeCovered(node)) return false;
    const planHash = this.queue.planner.nodeNeedsKey(node);
    if (this.notified.get(node) === planHash) return false;
    this.notified.set(node, planHash);
    return true;
  }
}
