import { AcceptPlatformResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError } from "../command.js";
import { emit } from "../output.js";

export const acceptPlatform: Command = {
  name: "accept-platform",
  synopsis: ["accept-platform NODE"],
  summary: "take a node's reports for the new platform it reports",
  description: "A node is pinned to the platform of its first report; reports for another platform (a profile upgrade, new CFLAGS) are refused until an admin accepts the change with this command.",
  options: {},
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError("accept-platform takes one node id");
    const r = await ctx.api().acceptPlatform({ nodeId: ctx.positionals[0]! }, { deadline: Date.now() + 60_000 });
    emit(ctx, AcceptPlatformResponseSchema, r, () => `>>> ${r.nodeId} is now on platform ${r.platformKey} (was ${r.previousPlatformKey}); asked for a fresh report\n`);
    return 0;
  },
};
