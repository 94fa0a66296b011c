import { CreatePlatformResponseSchema, ListPlatformsResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError, stringOption } from "../command.js";
import { emit, table } from "../output.js";

export const platforms: Command = {
  name: "platforms",
  synopsis: ["platforms", "platforms create NAME --from-node NODE"],
  summary: "platforms, node counts, binhost URLs, builder state; create a builder for a new one",
  description:
    "Lists the binary-compatible platforms: configured builders and platforms nodes report. `platforms create NAME --from-node NODE` (admin) makes a builder root for NODE's platform, which no builder serves yet, from its reported settings; the platform is served and built at once and its nodes are told their binhost.",
  subcommands: ["create"],
  options: { "from-node": { type: "string", value: "NODE", help: "the node whose reported settings the new platform's builder takes" } },
  async run(ctx) {
    const api = ctx.api();
    const deadline = Date.now() + 60_000;
    if (ctx.positionals[0] === "create") {
      const name = ctx.positionals[1];
      const from = stringOption(ctx, "from-node");
      if (name === undefined || ctx.positionals.length > 2 || from === "") throw new UsageError("platforms create NAME --from-node NODE");
      const r = await api.createPlatform({ name, fromNode: from }, { deadline });
      emit(ctx, CreatePlatformResponseSchema, r, () => `>>> platform ${r.name} (${r.key}) made from ${from}: builder root ${r.root}, binhost ${r.binhostUrl}\n>>> ${r.nodesTold.length} nodes told their binhost and key; their builds are queued\n`);
      return 0;
    }
    if (ctx.positionals.length > 0) throw new UsageError("platforms [create NAME --from-node NODE]");
    const r = await api.listPlatforms({}, { deadline });
    emit(ctx, ListPlatformsResponseSchema, r, () => table([["PLATFORM", "KEY", "NODES", "BINHOST", "BUILDER"], ...r.platforms.map((p) => [p.name || "-", p.key, String(p.nodeCount), p.binhostUrl || "-", p.builderState])]));
    return 0;
  },
};
