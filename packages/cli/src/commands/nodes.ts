import { ListNodesResponseSchema } from "@binfleet/shared/wire";
import { type Command, flag, platformOption, stringOption } from "../command.js";
import { ago, emit, table } from "../output.js";

export const nodes: Command = {
  name: "nodes",
  synopsis: ["nodes [--platform P] [--stale]"],
  summary: "nodes, their platform, pending binaries/compiles, state",
  description: "Lists every node that sent an accepted report: its platform, repository snapshot, last report, how many packages it would install as binaries and compile, and its state (current, pending, updating, failed, stale, platform-changed).",
  options: { ...platformOption, stale: { type: "boolean", default: false, help: "only nodes without a heartbeat or report for staleAfterSeconds" } },
  async run(ctx) {
    const r = await ctx.api().listNodes({ platformKey: stringOption(ctx, "platform"), staleOnly: flag(ctx, "stale") }, { deadline: Date.now() + 60_000 });
    emit(ctx, ListNodesResponseSchema, r, () =>
      table([["NODE", "PLATFORM", "SNAPSHOT", "LAST REPORT", "BINARY", "COMPILE", "STATE"], ...r.nodes.map((n) => [n.nodeId, n.platformName || n.platformKey, n.snapshotId.slice(0, 24), ago(n.lastReportUnixMs), String(n.pendingBinary), String(n.pendingCompile), n.state])]),
    );
    return 0;
  },
};
