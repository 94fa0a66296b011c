// Planning at fleet scale (issue: coordinator): 10,000 nodes × 1,500 installed packages on 20 platforms.
import { BuildPlanner, type NodeNeeds, variantKey } from "@binfleet/coordinator/internal";
import { type Figure, type FigureGroup, type Timing, figure, median, rng, timed } from "./measure.js";

const NODES = 10_000;
const PLATFORMS = 20;
const INSTALLED = 1_500;
/** Share of installed packages with an update pending (what a nightly sync typically brings). */
const PENDING = 0.08;

/** Synthetic fleet: each platform has a pool of updated packages; nodes want ~120 of them, 10% with their own USE. */
function fleet(): NodeNeeds[] {
  const r = rng(1);
  const pool = Array.from({ length: 4000 }, (_, i) => ({ cpv: `cat-${i % 160}/pkg${i}-${1 + (i % 9)}.${i % 31}`, use: ["ipv6", "ssl", "zstd"].filter(() => r() < 0.6) }));
  const out: NodeNeeds[] = [];
  for (let n = 0; n < NODES; n++) {
    const wants: { cpv: string; use: string[] }[] = [];
    const count = Math.round(INSTALLED * PENDING);
    const start = Math.floor(r() * pool.length);
    for (let k = 0; k < count; k++) {
      const p = pool[(start + k * 7) % pool.length]!;
      wants.push(r() < 0.1 ? { cpv: p.cpv, use: [...p.use, "debug"] } : p);
    }
    out.push({ nodeId: `node-${n}`, platformKey: `platform-${n % PLATFORMS}`, wants });
  }
  return out;
}

/** What a cron script does: rebuild the whole list from every node's needs each time. */
function naivePlan(all: readonly NodeNeeds[]): number {
  const perPlatform = new Map<string, Map<string, { wantedBy: string[]; order: number }>>();
  for (const n of all) {
    const m = perPlatform.get(n.platformKey) ?? new Map<string, { wantedBy: string[]; order: number }>();
    perPlatform.set(n.platformKey, m);
    n.wants.forEach((w, i) => {
      const k = variantKey({ platformKey: n.platformKey, cpv: w.cpv, use: [...w.use].sort() });
      const e = m.get(k);
      if (e === undefined) m.set(k, { wantedBy: [n.nodeId], order: i });
      else {
        e.wantedBy.push(n.nodeId);
        e.order = Math.min(e.order, i);
      }
    });
  }
  let items = 0;
  for (const m of perPlatform.values()) items += [...m.entries()].sort((a, b) => a[1].order - b[1].order).length;
  return items;
}

/** Median wall ms of `rounds` calls, and the median CPU ms of this process meanwhile. */
function timedRounds(fn: () => unknown, rounds: number): Timing {
  const runs = Array.from({ length: rounds }, () => timed(fn));
  return { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

const time = (fn: () => unknown, rounds: number): number => timedRounds(fn, rounds).ms;

export const planner: FigureGroup = { ids: ["plan.full", "plan.incremental"], figures: () => Promise.resolve(plannerFigures()) };

function plannerFigures(): Figure[] {
  const nodes = fleet();
  const naive = time(() => naivePlan(nodes), 3);
  let planner = new BuildPlanner();
  const full = timedRounds(() => {
    planner = new BuildPlanner();
    for (const n of nodes) planner.updateNode(n);
    for (const p of planner.platformKeys()) planner.buildList(p);
  }, 3);
  // One node's next report: a few packages done, a few new ones.
  let flip = 0;
  const incremental = time(() => {
    const n = nodes[flip++ % nodes.length]!;
    const changed: NodeNeeds = { ...n, wants: [...n.wants.slice(5), { cpv: `cat-1/new${flip}-1.0`, use: [] }] };
    // What the coordinator does with a report: re-plan the node, then queue what it added, in build order.
    const { added } = planner.updateNode(changed);
    planner.inBuildOrder(n.platformKey, added);
  }, 51);
  const variants = planner.platformKeys().reduce((s, p) => s + planner.buildList(p).length, 0);
  return [
    figure("plan.full", full.ms, "ms", naive, `full plan of ${NODES.toLocaleString("en")} nodes × ${INSTALLED.toLocaleString("en")} installed packages (${Math.round(INSTALLED * PENDING)} pending each) on ${PLATFORMS} platforms: ${variants.toLocaleString("en")} variants, median of 3 (CPU ${Math.round(full.cpuMs)} ms, GC threads included: on a busy machine, wall time is mostly waiting); baseline: rebuild from all reports (cron-script style); goal < 1,000 ms`),
    figure("plan.incremental", incremental, "ms", naive, "re-plan after one node's report (5 packages done, 1 new) and its additions put in build order, median of 51; baseline: the same full rebuild a cron script does after every report; goal < 1 ms"),
  ];
}
