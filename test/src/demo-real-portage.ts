// npm run demo -- --real-portage: the loop with real Portage at every Portage call (../shared/portage):
// two platforms whose builder roots build inside bubblewrap, three real-Portage nodes with their
// agents, the CLI for every admin step. A few nodes, since every Portage call is the real thing.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { locatePortage, skipNote } from "@binfleet/real-portage";
import { until } from "@binfleet/shared/testing";
import { installedOn, pendingOn, startRealFleet } from "./real-fleet-harness.js";
import { phaseClock } from "./phase-clock.js";

interface PlanItem {
  readonly cpv: string;
  readonly use: readonly string[];
  readonly state: string;
  readonly platformKey: string;
}

const WORLD = ["app-misc/hello", "app-misc/demo-app"];

/** Runs the real-Portage demo; prints its steps (unless `json`), then one JSON summary line. Returns the exit code. */
export async function realPortageDemo(json: boolean): Promise<number> {
  const say = (text: string): void => {
    if (!json) process.stdout.write(`${text}\n`);
  };
  if (locatePortage() === null) {
    process.stderr.write(`binfleet demo: ${skipNote}\n`);
    return 1;
  }
  const dir = resolve(process.env["BINFLEET_DEMO_DIR"] ?? ".state/demo-real-portage");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const clock = phaseClock();
  say(`binfleet demo on real Portage (${locatePortage()!.tarball}); state and logs in ${dir}`);
  say("\n[1/5] two platforms (builder roots: real-Portage machines built inside bubblewrap), three nodes with their own /etc/portage, vdb and world; the coordinator and an agent per node; enrollment");
  const fleet = await startRealFleet({
    dir,
    requireApproval: true,
    platforms: [
      { name: "amd64", flags: "-O2 -pipe" },
      { name: "amd64-fp", flags: "-O2 -pipe -fno-omit-frame-pointer" },
    ],
    nodes: [
      { name: "node-a", platform: "amd64", world: WORLD },
      { name: "node-b", platform: "amd64", world: WORLD, packageUse: ["app-misc/hello foo"] },
      { name: "node-c", platform: "amd64-fp", world: WORLD },
    ],
  });
  try {
    const nodeA = fleet.nodes.get("node-a")!.machine;
    const before = await pendingOn(nodeA);
    clock.done("fleetAndEnrollment");
    say("      node-a today, with nothing on the binhost (emerge -pvuDN @world, real Portage):");
    for (const l of before.split("\n").filter((x) => x.startsWith("[") || x.startsWith("Total:"))) say(`        ${l}`);

    say("\n[2/5] every node reports its real plan; the build list (binfleet plan)");
    const plan = async (): Promise<PlanItem[]> => ((await fleet.cli("plan")).json as { items: PlanItem[] } | null)?.items ?? [];
    const items = await until("every node's needs in the plan", async () => ((await plan()).length >= 7 ? plan() : null), 600_000, 1000);
    for (const i of items) say(`        [${i.state.replace("BUILD_STATE_", "").toLowerCase()}] ${i.cpv} USE="${i.use.join(" ")}"`);
    const localCompilesBefore = ((await fleet.cli("nodes")).json as { nodes: { pendingCompile: number }[] }).nodes.reduce((s, n) => s + n.pendingCompile, 0);
    clock.done("reports");

    say("\n[3/5] the admin approves (binfleet approve --all --platform P); builders build each variant once, signed, inside their roots");
    for (const name of fleet.builders.keys()) await fleet.cli("approve", "--all", "--platform", name);
    await until(
      "every variant built",
      async () => {
        const now = await plan();
        if (now.some((i) => i.state === "BUILD_STATE_FAILED")) throw new Error("a build failed (see daemons.log)");
        return now.every((i) => i.state === "BUILD_STATE_SUCCEEDED") ? now : null;
      },
      1_800_000,
      2000,
    );
    const builds = ((await fleet.cli("builds")).json as { builds: { job: { id: string } }[] }).builds;
    clock.done("builds");

    say("\n[4/5] a canary rollout (binfleet rollout start --canary 1 --watch): nodes emerge -g, Portage verifies each binary's signature");
    const rollout = await fleet.cli("rollout", "start", "--canary", "1", "--max-in-flight", "2", "--watch");
    clock.done("rollout");

    say("\n[5/5] node-a after the rollout:");
    const listNodes = async () => ((await fleet.cli("nodes")).json as { nodes: { nodeId: string; state: string }[] }).nodes;
    // Their reports after the rollout come within seconds; a node still pending is counted as such.
    const nodes = await until("nodes current", async () => ((await listNodes()).every((x) => x.state === "current") ? listNodes() : null), 120_000, 1000).catch(listNodes);
    const after = await pendingOn(nodeA);
    say(`        ${after.split("\n").find((l) => l.startsWith("Total:")) ?? after.trim()}`);
    let binaryInstalls = 0;
    let localCompilesAfter = 0;
    for (const n of fleet.nodes.values()) {
      for (const md5 of (await installedOn(n.machine, ["app-misc/hello", "dev-libs/libdemo", "app-misc/demo-app"])).values()) {
        if (md5 === "") localCompilesAfter++;
        else binaryInstalls++;
      }
    }
    const summary = {
      realPortage: true,
      nodes: fleet.nodes.size,
      platforms: fleet.builders.size,
      variantsNeeded: items.length,
      buildsRun: builds.length,
      duplicateBuilds: builds.length - new Set(builds.map((b) => b.job.id)).size,
      nodesCurrent: nodes.filter((n) => n.state === "current").length,
      localCompilesBefore,
      localCompilesAfter,
      binaryInstalls,
      rollout: rollout.exitCode === 0 ? "done" : "failed",
      seconds: clock.seconds(),
      phases: clock.phases,
      stateDir: dir,
    };
    say(`\nSummary (real Portage): ${summary.nodes} nodes on ${summary.platforms} platforms needed ${summary.variantsNeeded} variants; ${summary.buildsRun} built, ${summary.duplicateBuilds} duplicates;`);
    say(`         ${summary.nodesCurrent}/${summary.nodes} nodes current; ${summary.binaryInstalls} packages installed from verified binaries, ${summary.localCompilesAfter} compiled on a node; ${summary.seconds} s`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.nodesCurrent === summary.nodes && summary.localCompilesAfter === 0 && summary.duplicateBuilds === 0 ? 0 : 1;
  } finally {
    await fleet.teardown();
  }
}
