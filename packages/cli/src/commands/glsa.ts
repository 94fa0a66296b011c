import { type AdvisoryFix, type AdvisorySummary, FixAdvisoryResponseSchema, GetAdvisoryResponseSchema, ListAdvisoriesResponseSchema } from "@binfleet/shared/wire";
import { type Command, type CommandContext, UsageError, flag, numberOption, platformOption, stringOption } from "../command.js";
import { ago, emit, rolloutText, stateName, table } from "../output.js";
import { followRollout } from "./rollout.js";

const fixText = (f: AdvisoryFix | undefined): string => {
  if (f === undefined) return "";
  if (f.state === "closed") return `closed in ${Math.round(Number(f.closedAtUnixMs - f.startedAtUnixMs) / 1000)}s`;
  return `${f.state} (rollout ${f.rolloutId.slice(0, 8)})`;
};

async function list(ctx: CommandContext): Promise<number> {
  const r = await ctx.api().listAdvisories({ platformKey: stringOption(ctx, "platform"), all: flag(ctx, "all") }, { deadline: Date.now() + 60_000 });
  emit(ctx, ListAdvisoriesResponseSchema, r, () => {
    let t = r.advisories.length === 0 ? `No advisory of the builders' tree (${r.advisoriesRead} read) affects the fleet.\n` : "";
    if (r.advisories.length > 0) {
      const rows = [["GLSA", "SEVERITY", "NODES", "PLATFORMS", "OLDEST EXPOSURE", "FIX", "TITLE"]];
      for (const a of r.advisories) rows.push([a.id, a.severity, String(a.nodesExposed), String(a.platformKeys.length), a.nodesExposed === 0 ? "-" : ago(a.oldestExposureUnixMs), fixText(a.fix) || "-", a.title]);
      t += table(rows);
    }
    for (const x of r.refused) t += ` ! ${x.file}: ${x.error}\n`;
    return t;
  });
  return 0;
}

function advisoryHead(a: AdvisorySummary): string {
  let t = `>>> GLSA ${a.id}: ${a.title} (${a.severity})\n    ${a.synopsis}\n`;
  t += `    ${a.packages.join(" ")}; announced ${a.announced}, revised ${a.revised} (${a.revisionCount})\n`;
  t += `    ${a.nodesExposed} nodes exposed on ${a.platformKeys.length} platforms${a.fix === undefined ? "" : `; fix by ${a.fix.by}: ${fixText(a.fix)}`}\n`;
  return t;
}

async function show(ctx: CommandContext, id: string): Promise<number> {
  const r = await ctx.api().getAdvisory({ id }, { deadline: Date.now() + 60_000 });
  emit(ctx, GetAdvisoryResponseSchema, r, () => {
    const a = r.advisory!;
    let t = advisoryHead(a);
    if (r.exposures.length > 0) {
      t += `\n${table([["NODE", "PLATFORM", "INSTALLED", "FIXED BY", "SINCE"], ...r.exposures.map((e) => [e.nodeId, e.platformKey, e.installedCpv, e.fixedCpv || "(nothing in the tree fixes it)", ago(e.firstSeenUnixMs)])])}`;
      t += `\n * binfleet glsa fix ${a.id}: build the fixing versions and update exactly these nodes\n`;
    }
    for (const b of a.fix?.builds ?? []) t += ` * ${(b.job?.id ?? "").slice(0, 12)} [${stateName(b.result!.state)}] ${b.job?.cpv} USE="${b.job?.use.join(" ")}" for ${b.job?.platformKey}\n`;
    return t;
  });
  return 0;
}

async function fix(ctx: CommandContext, id: string): Promise<number> {
  const req = { id, canary: numberOption(ctx, "canary"), maxInFlight: numberOption(ctx, "max-in-flight", 1), maxFailurePercent: numberOption(ctx, "max-failures") };
  const r = await ctx.api().fixAdvisory(req, { deadline: Date.now() + 120_000 });
  emit(ctx, FixAdvisoryResponseSchema, r, () => {
    let t = `>>> GLSA ${id}: ${r.fix?.builds.length ?? 0} builds queued ahead of other work (${r.fix?.state}), ${r.fix?.nodes.length ?? 0} nodes to update\n`;
    if (r.unfixableNodes.length > 0) t += ` ! nothing in the builders' tree fixes it on ${r.unfixableNodes.join(", ")}\n`;
    return t + rolloutText(r.rollout!);
  });
  return flag(ctx, "watch") ? followRollout(ctx, r.rollout!.id) : 0;
}

export const glsa: Command = {
  name: "glsa",
  synopsis: ["glsa [--platform P] [--all]", "glsa show ID", "glsa fix ID [--canary N] [--max-in-flight K] [--max-failures PCT] [--watch]"],
  summary: "security advisories affecting the fleet, and fixing one fleet-wide",
  description:
    "Lists the security advisories (GLSAs) of the builders' tree that nodes are exposed to: how many nodes, on how many platforms, since when, and where a fix stands (--all: every advisory read; advisory files the coordinator refused are named with the reason). `show ID` lists each exposed node with its vulnerable version and the version that fixes it. `fix ID` (operator) builds the fixing versions for every affected platform variant ahead of other work (approved by the fix itself under policy.security auto), then updates exactly those packages (emerge --oneshot --update) on exactly the exposed nodes, canaries first; a node offline meanwhile is updated when it returns. The advisory is closed once no node reports a vulnerable version. --watch follows the fix's rollout; exit 1 if it halted or was aborted.",
  subcommands: ["show", "fix"],
  options: {
    ...platformOption,
    all: { type: "boolean", default: false, help: "also advisories no node is exposed to" },
    canary: { type: "string", default: "1", value: "N", help: "fix: nodes updated alone first" },
    "max-in-flight": { type: "string", default: "5", value: "K", help: "fix: nodes updating at once after the canaries" },
    "max-failures": { type: "string", default: "0", value: "PCT", help: "fix: halt when more than PCT % of the nodes failed" },
    watch: { type: "boolean", default: false, help: "fix: follow the rollout until it ends" },
  },
  async run(ctx) {
    const [sub, id, ...rest] = ctx.positionals;
    if (sub === undefined) return list(ctx);
    if ((sub !== "show" && sub !== "fix") || id === undefined || rest.length > 0) throw new UsageError("glsa [--all] | glsa show ID | glsa fix ID");
    return sub === "show" ? show(ctx, id) : fix(ctx, id);
  },
};
