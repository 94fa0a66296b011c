import { SyncResponseSchema } from "@binfleet/shared/wire";
import { type Command, platformOption, stringOption } from "../command.js";
import { emit, withProgress } from "../output.js";

export const sync: Command = {
  name: "sync",
  synopsis: ["sync [--platform P]"],
  summary: "the nightly job now: sync builder trees, ask nodes to sync and re-report",
  description:
    "Runs the nightly job on demand (operator): `emerge --sync` in each builder root, the snapshot published to nodes, every node told to sync and re-report, distfiles of the build list fetched, and the pending-updates report (with the security advisories affecting the fleet that no earlier report named). Exits 1 when a builder failed to sync or fetch.",
  options: platformOption,
  async run(ctx) {
    const r = await withProgress(ctx, "syncing builders and waiting for nodes to re-report", ctx.api().sync({ platformKey: stringOption(ctx, "platform") }, { deadline: Date.now() + 3600_000 }));
    emit(ctx, SyncResponseSchema, r, () => {
      let t = `>>> builder trees synced${r.failedPlatforms.length > 0 ? ` (failed: ${r.failedPlatforms.join(", ")})` : ""}; ${r.nodesAsked} nodes asked to sync and re-report\n`;
      if (r.nodesNotReported.length > 0) t += ` * no new report in time from: ${r.nodesNotReported.join(" ")}\n`;
      if (r.fetchFailedPlatforms.length > 0) t += ` * fetching distfiles failed for: ${r.fetchFailedPlatforms.join(" ")}\n`;
      if (r.newAdvisories.length > 0) t += ` * security advisories newly affecting the fleet: ${r.newAdvisories.join(" ")} (binfleet glsa show ID)\n`;
      return `${t}>>> ${r.pendingVariants} variants to build, ${r.waitingApproval} waiting for approval (binfleet plan)\n`;
    });
    return r.failedPlatforms.length + r.fetchFailedPlatforms.length > 0 ? 1 : 0;
  },
};
