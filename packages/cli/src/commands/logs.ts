import { StreamBuildLogResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError, flag } from "../command.js";
import { emit } from "../output.js";

export const logs: Command = {
  name: "logs",
  synopsis: ["logs BUILD [--follow]"],
  summary: "a build's log, from the bus",
  description: "Prints the log of a build (its id, or 8+ hex digits of it, from `builds`) as the builder streamed it; --follow keeps printing until the build ends.",
  options: { follow: { type: "boolean", short: "f", default: false, help: "keep printing until the build ends" } },
  async run(ctx) {
    const id = ctx.positionals[0];
    if (id === undefined || ctx.positionals.length > 1) throw new UsageError("logs takes a build id (see binfleet builds)");
    for await (const chunk of ctx.api().streamBuildLog({ jobId: id, follow: flag(ctx, "follow") })) emit(ctx, StreamBuildLogResponseSchema, chunk, () => `${chunk.lines.join("\n")}\n`);
    return 0;
  },
};
