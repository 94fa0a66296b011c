import { DriftResponseSchema } from "@binfleet/shared/wire";
import { type Command, platformOption, stringOption } from "../command.js";
import { emit, table } from "../output.js";

export const drift: Command = {
  name: "drift",
  synopsis: ["drift [--platform P]"],
  summary: "USE deviations that cost extra builds",
  description: "USE deviations from the fleet's most common USE per package: the flags, the nodes and the extra variants they cost.",
  options: platformOption,
  async run(ctx) {
    const r = await ctx.api().drift({ platformKey: stringOption(ctx, "platform") }, { deadline: Date.now() + 60_000 });
    emit(ctx, DriftResponseSchema, r, () => table([["PACKAGE", "FLAGS", "NODES", "EXTRA VARIANTS"], ...r.entries.map((e) => [e.cp, e.flags.join(" "), String(e.nodeCount), String(e.extraVariants)])]) || ">>> no USE drift: every package is built one way\n");
    return 0;
  },
};
