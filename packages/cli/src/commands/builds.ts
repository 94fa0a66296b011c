import { BuildState, ListBuildsResponseSchema, WatchBuildsResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError, flag, platformOption, stringOption } from "../command.js";
import { buildLine, emit } from "../output.js";

export const builds: Command = {
  name: "builds",
  synopsis: ["builds [--platform P] [--state S]… [--watch]"],
  summary: "builds with state, builder, duration, error",
  description: "Lists builds and the variants waiting to be built, with their state (waiting-approval, queued, running, succeeded, failed), the builder, the duration and the error. --watch then prints each change as it happens.",
  options: {
    ...platformOption,
    state: { type: "string", multiple: true, default: [], value: "S", help: "only builds in this state (repeatable)" },
    watch: { type: "boolean", default: false, help: "keep printing changes" },
  },
  async run(ctx) {
    const states = ((ctx.values["state"] as string[] | undefined) ?? []).map((s) => {
      const v = BuildState[s.toUpperCase().replace(/-/g, "_") as keyof typeof BuildState];
      if (v === undefined) throw new UsageError(`unknown build state ${s}`);
      return v;
    });
    const api = ctx.api();
    const platformKey = stringOption(ctx, "platform");
    const r = await api.listBuilds({ platformKey, states }, { deadline: Date.now() + 60_000 });
    emit(ctx, ListBuildsResponseSchema, r, () => r.builds.map(buildLine).join(""));
    if (flag(ctx, "watch")) for await (const ev of api.watchBuilds({ platformKey })) emit(ctx, WatchBuildsResponseSchema, ev, () => buildLine(ev.build!));
    return 0;
  },
};
