// economy: what binfleet saves on the demo's fleet (24 nodes on 3 platforms, the seed's world) and
// on a 1,000-node fleet from the same generator, and how close one builder per platform comes to
// the best possible builder schedule.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateFleet, runTool, simulatedBuildSeconds } from "@binfleet/portage-sim";
import { parseEmergePretend } from "@binfleet/shared";
import { type Figure, figure } from "./measure.js";

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

export async function economyFigures(): Promise<Figure[]> {
  return [...(await economy(24, 3)), ...(await economy(1000, 3))];
}

async function economy(nodes: number, platforms: number): Promise<Figure[]> {
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
    const makespan = Math.max(...perPlatform.values());
    const longest = Math.max(...[...variants.values()].map((v) => v.s));
    const lowerBound = Math.max(longest, withBinfleet / perPlatform.size);
    const fleet = `${nodes.toLocaleString("en")} nodes, ${platforms} platforms`;
    return [
      figure(`economy (${fleet})`, without / 3600, "fleet compile h", withBinfleet / 3600, `every node compiling its own [ebuild] lines (${compiles.length}) vs each of ${variants.size} variants built once; ratio = hours saved factor`),
      figure(`makespan (${fleet}, 1 builder per platform)`, makespan / 3600, "h", lowerBound / 3600, "lower bound max(longest build, total work / builders); ratio goal <= 1.05 (platforms cannot share builders: the gap is platform imbalance)"),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
