import { type Command, type CommandContext, UsageError, platformOption, stringOption } from "../command.js";

async function holdOrUnhold(ctx: CommandContext, hold: boolean): Promise<number> {
  const atom = ctx.positionals[0];
  if (atom === undefined || ctx.positionals.length > 1) throw new UsageError(`${hold ? "hold" : "unhold"} takes one atom`);
  const o = { deadline: Date.now() + 60_000 };
  if (hold) await ctx.api().hold({ atom, platformKey: stringOption(ctx, "platform"), reason: stringOption(ctx, "reason") }, o);
  else await ctx.api().unhold({ atom, platformKey: stringOption(ctx, "platform") }, o);
  ctx.io.out(ctx.json ? `${JSON.stringify({ atom, held: hold })}\n` : `>>> ${atom} ${hold ? "held: it will not be built" : "no longer held"}\n`);
  return 0;
}

export const hold: Command = {
  name: "hold",
  synopsis: ["hold ATOM [--platform P] [--reason R]"],
  summary: "never build ATOM (nodes keep compiling it)",
  description: "Keeps packages matching ATOM out of the build list (operator): nodes keep compiling them, and `plan` and `explain` say so with the reason.",
  options: { ...platformOption, reason: { type: "string", default: "", value: "R", help: "why, shown by plan and explain" } },
  run: (ctx) => holdOrUnhold(ctx, true),
};

export const unhold: Command = {
  name: "unhold",
  synopsis: ["unhold ATOM [--platform P]"],
  summary: "build ATOM again",
  description: "Removes a hold (operator); the variants nodes want are queued again.",
  options: platformOption,
  run: (ctx) => holdOrUnhold(ctx, false),
};
