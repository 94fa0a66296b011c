import type { Logger } from "@binfleet/shared";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import type { BuildQueue } from "../planning/build-queue.js";

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
    if (this.mode !== "auto") return;
    const n = this.registry.get(node);
    // A node behind the snapshot syncs first (it was told to); updating now would compile from other ebuilds.
    if (n === undefined || n.pending.length === 0 || this.queue.snapshotBehind(n.snapshotId) || !this.queue.planner.nodeCovered(node)) return;
    const planHash = this.queue.planner.nodeNeedsKey(node);
    if (this.notified.get(node) === planHash) return;
    this.notified.set(node, planHash);
    await this.commands.send(node, { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [], rolloutId: "" } });
    this.log.info({ node }, "node notified to update");
  }

  /** Every node of a platform, after a build there finished. */
  async platformChanged(platformKey: string): Promise<void> {
    for (const n of this.registry.all()) if (n.platformKey === platformKey) await this.maybeNotify(n.nodeId);
  }
}
