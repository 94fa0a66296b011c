import { BuildState, GetPlanResponseSchema } from "@binfleet/shared/wire";
import { type Command, platformOption, stringOption } from "../command.js";
import { emit, pad, stateName } from "../output.js";

export const plan: Command = {
  name: "plan",
  synopsis: ["plan [--platform P]"],
  summary: "the build list and what nodes would still compile",
  description: "The deduplicated build list in build order (dependencies first): each cpv + USE variant once, with its state and how many nodes want it; then what nodes would still compile and why (held, no builder).",
  options: platformOption,
  async run(ctx) {
    const r = await ctx.api().getPlan({ platformKey: stringOption(ctx, "platform") }, { deadline: Date.now() + 60_000 });
    emit(ctx, GetPlanResponseSchema, r, () => {
      let t = `\nThese are the variants that would be built, in order (${r.items.length} for ${r.nodes} nodes):\n\n`;
      for (const i of r.items) t += `[${pad(stateName(i.state), 16)}] ${i.cpv} USE="${i.use.join(" ")}" ${i.variantId.slice(0, 12)} (wanted by ${i.wantedByCount})\n`;
      if (r.localCompiles.length > 0) {
        t += `\nNodes would still compile (${r.localCompiles.length}):\n\n`;
        for (const l of r.localCompiles) t += ` * ${l.nodeId}: ${l.cpv}: ${l.reason}\n`;
      }
      const waiting = r.items.filter((i) => i.state === BuildState.WAITING_APPROVAL).length;
      if (waiting > 0) t += `\n * ${waiting} variants wait for approval: binfleet approve ID…|ATOM…|--all --platform P\n`;
      return t;
    });
    return 0;
  },
};
