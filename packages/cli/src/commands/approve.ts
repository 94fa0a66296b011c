import { ApproveResponseSchema } from "@binfleet/shared/wire";
import { type Command, flag, platformOption, stringOption } from "../command.js";
import { emit } from "../output.js";

export const approve: Command = {
  name: "approve",
  synopsis: ["approve ID…|ATOM…", "approve --all --platform P"],
  summary: "approve waiting variants (ids from `plan`, 8+ hex digits, or atoms)",
  description: "Approves variants waiting for approval (policy.requireApproval) so they are queued for building: by variant id (or an unambiguous prefix of 8+ hex digits), by atom (every waiting variant it matches), or every waiting variant of a platform (operator).",
  options: { ...platformOption, all: { type: "boolean", default: false, help: "every waiting variant of --platform" } },
  async run(ctx) {
    const r = await ctx.api().approve({ variantIds: [...ctx.positionals], all: flag(ctx, "all"), platformKey: stringOption(ctx, "platform") }, { deadline: Date.now() + 60_000 });
    emit(ctx, ApproveResponseSchema, r, () => `>>> approved ${r.approved.length} variants; they are queued for building\n`);
    return 0;
  },
};
