// economy: what binfleet saves on the demo's fleet (24 nodes on 3 platforms, the seed's world) and
// on a 1,000-node fleet from the same generator, and how close the builders' schedule comes to the
// best possible one: one builder per platform, and builder slots shared by all platforms as
// builder-pool runs them (pickPlatform, BuildEstimates).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildEstimates, pickPlatform } from "@binfleet/coordinator/internal";
import { generateFleet, runTool, simulatedBuildSeconds } from "@binfleet/portage-sim";
import { parseEmergePretend } from "@binfleet/shared";
import { type Figure, type FigureGroup, figure } from "./measure.js";
import type { Want } from "./selection.js";

/** Each node's own `emerge -pvuDN @world` (portage-sim, in this process), its [ebuild] lines as variants. */
async function fleetCompiles(nodes: number, platforms: number, dir: string): Promise<{ repo: string; compiles: { platform: string; cpv: string; use: string }[] }> {
  const fleet = await generateFleet({ nodes, platforms, seed: 1, out: join(dir, "fleet") });
  const compiles: { platform: string; cpv: string; use: string }[] = [];
  for (const n of fleet.nodes) {
    let text = "";
    await runTool("emerge", ["--pretend", "--verbose", "--update", "--deep", "--newuse", "@world"], { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: "0" }, { out: (t) => void (text += t), err: () => undefined });
    for (const e of parseEmergePretend(text).entries) {
      if (e.kind !== "ebuild" || e.cpv === null) continue;
      const use = Object.entries(e.use).flatMap(([g, fs]) => fs.filter((f) => f.enabled).map((f) => (g === "USE" ? f.name : `${g.toLowerCase()}_${f.name}`))).sort().join(",");
      compiles.push({ platform: n.platform, cpv: e.cpv, use });
    }
  }
  return { repo: fleet.repo, compiles };
}

interface Job {
  readonly platform: string;
  readonly cpv: string;
  readonly s: number;
}

/**
 * The makespan of `slots` builder slots shared by all platforms (every slot has a root for every
 * platform), each taking, when free, the next job of the platform pickPlatform chooses from the
 * queued work the coordinator would publish: its jobs' estimated seconds. Jobs run for their real
 * (simulated) time; each queue is taken in order, as JetStream delivers it.
 */
function slotMakespan(jobs: readonly Job[], slots: number, estimates: BuildEstimates): number {
  const queues = new Map<string, Job[]>();
  for (const j of jobs) queues.set(j.platform, [...(queues.get(j.platform) ?? []), j]);
  const queued = new Map([...queues].map(([p, q]) => [p, q.reduce((s, j) => s + estimates.estimate(j.cpv), 0)]));
  const freeAt: number[] = Array.from({ length: slots }, () => 0);
  for (;;) {
    const name = pickPlatform([...queues].filter(([, q]) => q.length > 0).map(([p]) => ({ name: p, queuedSeconds: queued.get(p)! })));
    if (name === null) break;
    const job = queues.get(name)!.shift()!;
    queued.set(name, queued.get(name)! - estimates.estimate(job.cpv));
    const slot = freeAt.indexOf(Math.min(...freeAt));
    freeAt[slot] = freeAt[slot]! + job.s;
  }
  return Math.max(...freeAt);
}

/** Estimates as after a night's builds of these packages (the builds bucket holds their records). */
function estimatesFromHistory(jobs: readonly Job[]): BuildEstimates {
  const e = new BuildEstimates();
  for (const j of jobs) e.observe({ key: `${j.platform}|${j.cpv}|`, state: "succeeded", builder: "bench", attempt: 1, startedAt: 0, renewedAt: 0, finishedAt: j.s * 1000, error: "", logTail: ["built"] });
  return e;
}

/** The demo's fleet is `economy`, the 1,000-node one `economy.1000`; each with its makespans. */
const prefix = (nodes: number): string => (nodes === 24 ? "economy" : `economy.${nodes}`);
const ids = (nodes: number): string[] => [prefix(nodes), ...["", ".per-platform", ".first-night"].map((s) => `${prefix(nodes)}.makespan${s}`)];
const FLEETS = [24, 1000];

export const economy: FigureGroup = {
  ids: FLEETS.flatMap(ids),
  async figures(want: Want) {
    const out: Figure[] = [];
    for (const nodes of FLEETS) if (ids(nodes).some(want)) out.push(...(await economyOf(nodes, 3)));
    return out;
  },
};

async function economyOf(nodes: number, platforms: number): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-economy-"));
  try {
    const { repo, compiles } = await fleetCompiles(nodes, platforms, dir);
    const seconds = await simulatedBuildSeconds(repo, compiles.map((c) => c.cpv));
    const without = compiles.reduce((s, c) => s + (seconds.get(c.cpv) ?? 0), 0);
    const variants = new Map<string, { platform: string; s: number }>();
    for (const c of compiles) variants.set(`${c.platform}|${c.cpv}|${c.use}`, { platform: c.platform, s: seconds.get(c.cpv) ?? 0 });
    const withBinfleet = [...variants.values()].reduce((s, v) => s + v.s, 0);
    // One builder per platform (a builder root builds one thing at a time), platforms in parallel.
    const perPlatform = new Map<string, number>();
    for (const v of variants.values()) perPlatform.set(v.platform, (perPlatform.get(v.platform) ?? 0) + v.s);
    const perPlatformMakespan = Math.max(...perPlatform.values());
    const longest = Math.max(...[...variants.values()].map((v) => v.s));
    const slots = perPlatform.size;
    const lowerBound = Math.max(longest, withBinfleet / slots);
    const jobs: Job[] = [...variants].map(([k, v]) => ({ platform: v.platform, cpv: k.split("|")[1]!, s: v.s }));
    const fleet = `${nodes.toLocaleString("en")} nodes, ${platforms} platforms`;
    const bound = "lower bound max(longest build, total work / builders); ratio goal <= 1.05";
    return [
      figure(prefix(nodes), without / 3600, "fleet compile h", withBinfleet / 3600, `${fleet}: every node compiling its own [ebuild] lines (${compiles.length}) vs each of ${variants.size} variants built once; ratio = hours saved factor`),
      figure(`${prefix(nodes)}.makespan`, slotMakespan(jobs, slots, estimatesFromHistory(jobs)) / 3600, "h", lowerBound / 3600, `${fleet}, ${slots} builder slots shared by all platforms, the most queued work first, estimates from the builds' history; ${bound}`),
      figure(`${prefix(nodes)}.makespan.per-platform`, perPlatformMakespan / 3600, "h", lowerBound / 3600, `${fleet}, 1 builder per platform (the old layout: the gap is platform imbalance); ${bound}`),
      figure(`${prefix(nodes)}.makespan.first-night`, slotMakespan(jobs, slots, new BuildEstimates()) / 3600, "h", lowerBound / 3600, `${fleet}, ${slots} shared slots on a first night: no build history yet, every package estimated alike; ${bound}`),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
