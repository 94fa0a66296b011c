import { CollectGarbageResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError, flag, numberOption, platformOption, stringOption } from "../command.js";
import { emit, mib } from "../output.js";

export const gc: Command = {
  name: "gc",
  synopsis: ["gc [--platform P] [--keep N] [--dry-run]"],
  summary: "remove binaries no node needs (keeping N versions)",
  description: "Removes binaries no node has installed or pending (with that USE), keeping the newest N versions of each package, and rewrites Packages atomically (admin; --dry-run: viewer).",
  options: {
    ...platformOption,
    keep: { type: "string", default: "1", value: "N", help: "newest versions of each package to keep" },
    "dry-run": { type: "boolean", default: false, help: "say what would be removed" },
  },
  async run(ctx) {
    const keep = numberOption(ctx, "keep", 1);
    if (!Number.isInteger(keep)) throw new UsageError("--keep takes a whole number of versions, at least 1");
    const dryRun = flag(ctx, "dry-run");
    const r = await ctx.api().collectGarbage({ platformKey: stringOption(ctx, "platform"), keepVersions: keep, dryRun }, { deadline: Date.now() + 600_000 });
    emit(ctx, CollectGarbageResponseSchema, r, () => `${r.removed.map((x) => `${dryRun ? "would remove" : "removed"} ${x}\n`).join("")}>>> ${r.removed.length} binaries, ${mib(r.freedBytes)}${dryRun ? " (dry run)" : ""}\n`);
    return 0;
  },
};
