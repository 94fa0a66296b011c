import { type Rollout, RolloutSchema } from "@binfleet/shared/wire";
import { toJsonString } from "@bufbuild/protobuf";
import { type Command, type CommandContext, UsageError, flag, numberOption, platformOption, stringOption } from "../command.js";
import { LiveView, rolloutText } from "../output.js";

async function startOrControl(ctx: CommandContext, sub: string | undefined): Promise<Rollout | undefined> {
  const api = ctx.api();
  const o = { deadline: Date.now() + 60_000 };
  const id = ctx.positionals[1] ?? "";
  if (sub === "start") {
    const options = {
      platformKey: stringOption(ctx, "platform"),
      canary: numberOption(ctx, "canary"),
      maxInFlight: numberOption(ctx, "max-in-flight", 1),
      maxFailurePercent: numberOption(ctx, "max-failures"),
      window: stringOption(ctx, "window"),
      dryRun: flag(ctx, "dry-run"),
    };
    return (await api.startRollout({ options }, o)).rollout;
  }
  if (sub === "status") return (await api.getRollout({ rolloutId: id }, o)).rollout;
  if (sub === "pause" || sub === "resume" || sub === "abort") return (await api.controlRollout({ rolloutId: id, action: sub }, o)).rollout;
  throw new UsageError("rollout start|status|pause|resume|abort");
}

export const rollout: Command = {
  name: "rollout",
  synopsis: [
    "rollout start [--platform P] [--canary N] [--max-in-flight K] [--max-failures PCT] [--window W] [--dry-run] [--watch]",
    "rollout status|pause|resume|abort [ROLLOUT] [--watch]",
  ],
  summary: "fleet-wide emerge -g in waves: canaries first, then K at a time",
  description:
    "Starts a staged rollout (operator): canaries (the first online nodes with something to update) go alone and any canary failure halts the rollout; then at most K nodes update at a time; the rollout halts when failed nodes exceed PCT of its nodes; it dispatches only inside the window (UTC, e.g. \"Sat,Sun 02:00-06:00\"). --dry-run is the pre-flight: per node, binaries, compiles, download size. `status`, `pause`, `resume` and `abort` act on the latest rollout unless an id is given. --watch follows it until it ends; exit 1 if it halted or was aborted.",
  subcommands: ["start", "status", "pause", "resume", "abort"],
  options: {
    ...platformOption,
    canary: { type: "string", default: "1", value: "N", help: "nodes updated alone first" },
    "max-in-flight": { type: "string", default: "5", value: "K", help: "nodes updating at once after the canaries" },
    "max-failures": { type: "string", default: "0", value: "PCT", help: "halt when more than PCT % of the nodes failed" },
    window: { type: "string", default: "", value: "W", help: "dispatch only inside this window (UTC)" },
    "dry-run": { type: "boolean", default: false, help: "the pre-flight only: nothing is updated" },
    watch: { type: "boolean", default: false, help: "follow the rollout until it ends" },
  },
  async run(ctx) {
    const r = await startOrControl(ctx, ctx.positionals[0]);
    if (r === undefined) throw new Error("the coordinator sent no rollout");
    if (!flag(ctx, "watch") || flag(ctx, "dry-run")) {
      showRollout(ctx, r);
      return r.state === "halted" ? 1 : 0;
    }
    return followRollout(ctx, r.id);
  },
};

function showRollout(ctx: CommandContext, r: Rollout): void {
  ctx.io.out(ctx.json ? `${toJsonString(RolloutSchema, r, { alwaysEmitImplicit: true })}\n` : rolloutText(r));
}

/** Follows a rollout until it ends (each change a `Rollout` with --json); exit 1 if it halted or was aborted. */
export async function followRollout(ctx: CommandContext, id: string): Promise<number> {
  let r: Rollout | undefined;
  // On a terminal the status table is redrawn in place; in logs and pipes each change is its summary line.
  const view = new LiveView(ctx, 2);
  for await (const ev of ctx.api().watchRollout({ rolloutId: id })) {
    r = ev.rollout!;
    if (ctx.json) showRollout(ctx, r);
    else view.show(rolloutText(r));
  }
  if (r === undefined) throw new Error("the coordinator sent no rollout");
  if (!ctx.json && !ctx.io.color) ctx.io.out(rolloutText(r));
  return r.state === "halted" || r.state === "aborted" ? 1 : 0;
}
