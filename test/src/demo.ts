// npm run demo: the seed's story on a simulated fleet, end to end, in one process tree.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { generateFleet } from "@binfleet/portage-sim";
import { createLogger } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { MergeKind } from "@binfleet/shared/wire";
import { type FleetHarness, pretend, startFleet } from "./fleet-harness.js";

const json = process.argv.includes("--json");
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const say = (text: string): void => {
  if (!json) process.stdout.write(`${text}\n`);
};

async function main(): Promise<number> {
  const dir = resolve(process.env["BINFLEET_DEMO_DIR"] ?? ".state/demo");
  const nodes = arg("--nodes", 24);
  const platforms = arg("--platforms", 3);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const log = createLogger({ name: "demo", level: "info", destination: pino.destination({ dest: join(dir, "demo.log"), sync: false }) });
  const started = Date.now();
  say(`binfleet demo: state and logs in ${dir}`);
  say(`\n[1/5] generating a fleet: ${nodes} nodes on ${platforms} platforms (portage-sim, real Gentoo package names)`);
  const fleet = await generateFleet({ nodes, platforms, seed: 1, out: join(dir, "fleet") });
  say(`      ${fleet.ebuilds} ebuilds; platforms ${fleet.platforms.map((p) => `${p.name} (${p.key})`).join(", ")}`);
  const first = fleet.nodes[0]!;
  const before = await pretend(first.root);
  say(`\n[2/5] ${first.name} today, with nothing on the binhost: emerge -pvuDN --getbinpkg @world`);
  const lines = before.text.split("\n").filter((l) => l.startsWith("["));
  for (const l of lines.slice(0, 8)) say(`      ${l}`);
  if (lines.length > 8) say(`      … ${lines.length - 8} more`);
  say(`      ${before.plan.total === null ? "" : before.text.split("\n").find((l) => l.startsWith("Total:"))}`);

  say(`\n[3/5] starting the coordinator (embedded nats-server, signing binhost, builder workers) and ${nodes} agents`);
  let h: FleetHarness | null = null;
  const stop = async (): Promise<void> => {
    await h?.teardown();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(143)));
  try {
    h = await startFleet({ fleet, dir, log, speed: process.env["BINFLEET_SIM_SPEED"] ?? "0.001", workersOfFirstPlatform: 2 });
    const reports = await until("a first report from every node", async () => {
      const r = await h!.firstReports();
      return r.size === nodes ? r : null;
    }, 10 * 60_000, 2000);
    say(`\n[4/5] the build list (binfleet plan): every variant some node would compile, once`);
    for (const p of fleet.platforms) {
      const list = h.coordinator.planner.buildList(p.key);
      const wantedTotal = list.reduce((s, i) => s + i.wantedBy.length, 0);
      say(`      ${p.name}: ${list.length} variants to build (${wantedTotal} local compiles they replace)`);
      for (const i of [...list].sort((a, b) => b.wantedBy.length - a.wantedBy.length).slice(0, 3)) say(`        ${i.variant.cpv} USE="${i.variant.use.join(" ")}"  wanted by ${i.wantedBy.length} nodes`);
    }
    say("      policy: every variant approved automatically (approval gates are not built yet)");
    let last = "";
    const current = new Set<string>();
    await until("every node current", async () => {
      for (const n of fleet.nodes) {
        if (current.has(n.name)) continue;
        const r = await h!.latestReport(n.name);
        if (r !== null && r.plan.length === 0) current.add(n.name);
      }
      const built = [...(await h!.binhostCounts()).values()].reduce((s, m) => s + m.size, 0);
      const line = `      binaries on the binhosts: ${built}; nodes current: ${current.size}/${nodes}`;
      if (line !== last) say(line);
      last = line;
      return current.size === nodes;
    }, 20 * 60_000, 2000);
    const after = await pretend(first.root);
    say(`\n[5/5] ${first.name} after binfleet: emerge -pvuDN --getbinpkg @world`);
    say(`      ${after.text.split("\n").find((l) => l.startsWith("Total:"))}`);
    const events = await h.progress();
    const counts = await h.binhostCounts();
    const variantsNeeded = new Set<string>();
    let localCompilesBefore = 0;
    for (const [, r] of reports) {
      for (const e of r.plan) {
        if (e.kind !== MergeKind.EBUILD) continue;
        localCompilesBefore++;
        variantsNeeded.add(`${r.platform?.key}|${e.cpv}|${[...e.use].sort().join(",")}`);
      }
    }
    const summary = {
      nodes,
      platforms,
      variantsNeeded: variantsNeeded.size,
      buildsRun: [...counts.values()].reduce((s, m) => s + m.size, 0),
      duplicateBuilds: [...counts.values()].reduce((s, m) => s + [...m.values()].filter((c) => c > 1).length, 0),
      nodesCurrent: current.size,
      localCompilesBefore,
      localCompilesAfter: events.filter((e) => e.event.case === "package" && !e.event.value.binary).length,
      binaryInstalls: events.filter((e) => e.event.case === "package" && e.event.value.binary).length,
      seconds: Math.round((Date.now() - started) / 1000),
      stateDir: dir,
    };
    say(`\nSummary: ${summary.nodes} nodes on ${summary.platforms} platforms needed ${summary.variantsNeeded} variants; ${summary.buildsRun} binaries built (${summary.duplicateBuilds} duplicates);`);
    say(`         ${summary.nodesCurrent} nodes current; local compiles ${summary.localCompilesBefore} before, ${summary.localCompilesAfter} after; ${summary.seconds} s`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.nodesCurrent === nodes && summary.duplicateBuilds === 0 ? 0 : 1;
  } finally {
    await stop();
  }
}


process.exitCode = await main();
