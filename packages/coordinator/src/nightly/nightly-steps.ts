import type { Logger } from "@binfleet/shared";
import type { PlatformCatalog } from "../builders/platform-catalog.js";
import { layoutOf, repoDirOf, runInRoot } from "../builders/root-portage.js";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";
import type { SnapshotMirror } from "../binhost/snapshot-mirror.js";
import { treeSnapshotId } from "../binhost/snapshot-mirror.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import type { BuildQueue } from "../planning/build-queue.js";
import type { ExposureTracker } from "../security/exposure-tracker.js";
import type { NightlySteps, PlatformPending } from "./nightly-job.js";

export interface NightlyStepsOptions {
  readonly config: CoordinatorConfig;
  readonly platforms: PlatformCatalog;
  readonly registry: NodeRegistry;
  readonly queue: BuildQueue;
  readonly commands: CommandSender;
  readonly mirror: SnapshotMirror | null;
  readonly advisories: Pick<ExposureTracker, "refreshTree" | "takeUnreported">;
  readonly log: Logger;
}

/** The nightly job's steps on the real fleet: builder roots synced, nodes told, distfiles fetched. */
export function nightlySteps(o: NightlyStepsOptions): NightlySteps {
  /** Runs Portage in a builder root; returns whether it succeeded (the output's tail is logged otherwise). */
  const portage = async (p: PlatformConfig, args: readonly string[], what: string): Promise<boolean> => {
    const r = await runInRoot(o.config.portage, layoutOf(p), "emerge", args);
    if (r.exitCode !== 0) o.log.error({ platform: p.name, exitCode: r.exitCode, tail: r.all.split("\n").slice(-5) }, what);
    return r.exitCode === 0;
  };
  return {
    /** `emerge --sync` in each builder root, then every node of those platforms is told to sync (agents re-report after). */
    async sync(platformKey) {
      const failed: string[] = [];
      for (const p of o.platforms.selected(platformKey)) {
        if (!(await portage(p, ["--sync"], "builder sync failed"))) failed.push(p.name);
        o.platforms.tree(p.key)?.forget();
      }
      const first = o.platforms.all()[0];
      const tree = o.config.mirror.tree ?? (first === undefined ? undefined : repoDirOf(first, o.config.mirror.repo));
      if (o.mirror !== null && tree !== undefined) {
        await o.mirror.publish(tree).catch((err: unknown) => {
          failed.push("mirror");
          o.log.error({ err: (err as Error).message }, "snapshot not published");
        });
      }
      // A node already on the tree its builders now have would sync to nothing new and report the same plan.
      const builderSnapshot = new Map<string, string>();
      for (const p of o.platforms.selected(platformKey)) builderSnapshot.set(p.key, o.mirror?.snapshotId ?? (await treeSnapshotId(repoDirOf(p, o.config.mirror.repo))));
      const nodesAsked: string[] = [];
      let current = 0;
      for (const n of o.registry.all()) {
        if (platformKey !== "" && n.platformKey !== platformKey) continue;
        const snapshot = builderSnapshot.get(n.platformKey) ?? "";
        if (snapshot !== "" && n.snapshotId === snapshot) {
          current++;
          continue;
        }
        await o.commands.send(n.nodeId, { case: "sync", value: { snapshotId: o.mirror?.snapshotId ?? "" } });
        nodesAsked.push(n.nodeId);
      }
      o.log.info({ asked: nodesAsked.length, alreadyCurrent: current }, "nodes asked to sync");
      // The builders' new tree may bring advisories: nodes are matched against them now (their installed packages do not change by syncing).
      await o.advisories.refreshTree(true).catch((err: unknown) => o.log.error({ err: (err as Error).message }, "advisories not read"));
      return { nodesAsked, failed };
    },
    settled: (node, since) => (o.registry.get(node)?.receivedAt ?? 0) >= since || !o.registry.online(node, Date.now()),
    /** Downloads the distfiles of every variant in the build list ahead of building. */
    async fetch(platformKey) {
      const failed: string[] = [];
      for (const p of o.platforms.selected(platformKey)) {
        const cpvs = [...new Set(o.queue.planner.buildList(p.key).map((i) => `=${i.variant.cpv}`))];
        if (cpvs.length > 0 && !(await portage(p, ["--fetchonly", "--oneshot", ...cpvs], "fetching distfiles failed"))) failed.push(p.name);
      }
      return failed;
    },
    async newAdvisories() {
      return (await o.advisories.takeUnreported()).map((a) => ({ id: a.advisory.id, title: a.advisory.title, severity: a.advisory.severity, nodes: a.exposures.map((e) => e.node), platforms: [...new Set(a.exposures.map((e) => e.platformKey))].sort() }));
    },
    pending(platformKey): PlatformPending[] {
      return o.platforms.selected(platformKey).map((p) => {
        const plan = o.queue.plan(p.key);
        return {
          name: p.name,
          key: p.key,
          nodes: o.registry.all().filter((n) => n.platformKey === p.key).length,
          buildList: plan.length,
          waitingApproval: plan.filter((e) => e.state === "waiting-approval").length,
          failed: plan.filter((e) => e.state === "failed").length,
        };
      });
    },
  };
}
