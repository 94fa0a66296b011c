// npm run demo: the seed's story on a simulated fleet, end to end, with the real binaries:
// binfleet-coordinator (embedded nats-server, builders, binhost, ops API), one binfleet-agent
// process per node, and the binfleet CLI for every step an admin would take.
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@binfleet/api";
import type { CoordinatorConfigInput } from "@binfleet/coordinator";
import { generateFleet, simulatedBuildSeconds } from "@binfleet/portage-sim";
import { freePort, until } from "@binfleet/shared/testing";
import { BuildState, FleetControlService } from "@binfleet/shared/wire";
import { screenshotFleet } from "./dashboard-screenshot.js";
import { simulatedDisks } from "./simulated-disks.js";
import { realPortageDemo } from "./demo-real-portage.js";
import { pretend, binOf, sim, simBuilderPortage } from "./fleet-harness.js";
import { programArgv, runProgram } from "./programs.js";
import { phaseClock } from "./phase-clock.js";

const json = process.argv.includes("--json");
const option = (name: string): string | null => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
};
const arg = (name: string, fallback: number): number => Number(option(name) ?? fallback);
const say = (text: string): void => {
  if (!json) process.stdout.write(`${text}\n`);
};
const indent = (text: string, max = Number.POSITIVE_INFINITY): string => {
  const lines = text.replace(/\n+$/, "").split("\n");
  const shown = lines.slice(0, max).map((l) => `      ${l}`);
  if (lines.length > max) shown.push(`      … ${lines.length - max} more lines`);
  return shown.join("\n");
};

/**
 * A status line: rewritten in place on a terminal; in logs and pipes a new line when it changes,
 * at most every 5 s. null ends it (printing the last state).
 */
function live(): (line: string | null) => void {
  let last = "";
  let shown = "";
  let at = 0;
  return (line) => {
    if (json) return;
    if (line === null) {
      if (!process.stdout.isTTY && last !== shown) process.stdout.write(`${last}\n`);
      if (process.stdout.isTTY) process.stdout.write("\n");
      return;
    }
    last = line;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}`);
    else if (line !== shown && Date.now() - at >= 5000) {
      process.stdout.write(`${line}\n`);
      shown = line;
      at = Date.now();
    }
  };
}

/** A daemon of the demo, its log (stderr) in a file; killed with the demo. */
function spawnChild(argv: string[], logFile: string) {
  // Its own process group: stopping the demo also stops what it started (the builders' emerge and gpg).
  const c = execa(process.execPath, argv, { reject: false, stdio: ["ignore", "ignore", "pipe"], detached: true });
  c.stderr?.pipe(createWriteStream(logFile));
  return c;
}

async function main(): Promise<number> {
  const dir = resolve(process.env["BINFLEET_DEMO_DIR"] ?? ".state/demo");
  const nodes = arg("--nodes", 24);
  const platforms = arg("--platforms", 3);
  const speed = process.env["BINFLEET_SIM_SPEED"] ?? "0.0002";
  // The simulated machines share one computer: gpg's verdicts and zstd's output on a package file
  // are worked out once, not once per node (production nodes each pay them on their own CPU).
  const disks = await simulatedDisks(dir);
  const simCache = join(disks.path, "sim-cache");
  // The previous run's state is moved aside now and removed once the fleet is generated, while the
  // daemons start: deleting ~80,000 small files takes seconds of disk time.
  const previous = `${dir}.previous`;
  await execa("rm", ["-rf", previous]);
  await rename(dir, previous).catch(() => undefined);
  let removingPrevious: Promise<unknown> = Promise.resolve();
  await mkdir(join(dir, "logs"), { recursive: true });
  await mkdir(join(dir, "agents"), { recursive: true });
  const clock = phaseClock();
  const children: ReturnType<typeof spawnChild>[] = [];
  const builderRoots: string[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Agents first, then the coordinator (which stops its nats-server): the reverse of starting.
    for (const c of [...children].reverse()) c.kill("SIGTERM");
    const grace = new AbortController();
    await Promise.race([Promise.allSettled(children), sleep(15_000, undefined, { signal: grace.signal }).catch(() => undefined)]);
    grace.abort();
    for (const c of children) {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        // the group is gone already
      }
    }
    await Promise.allSettled(children);
    // The builders' binpkg signing started a gpg-agent per builder root: stop those too.
    for (const root of builderRoots) await execa("gpgconf", ["--homedir", join(root, "etc/portage/gnupg-signing"), "--kill", "gpg-agent"], { reject: false });
    await disks.remove();
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stopAll().then(() => process.exit(143)));
  // A daemon that exits while the demo runs fails the demo: every wait would otherwise wait out its timeout.
  let daemonExited: (err: Error) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => (daemonExited = reject));
  exited.catch(() => undefined);
  const spawn = (name: string, argv: string[]): void => {
    // Once stopping, what is still starting (an enrollment in flight) would outlive the demo.
    if (stopping) throw new Error(`not starting ${name}: the demo is stopping`);
    const child = spawnChild(argv, join(dir, "logs", `${name}.log`));
    children.push(child);
    void child.then((r) => {
      if (!stopping) daemonExited(new Error(`${name} exited (${r.signal ?? `code ${r.exitCode}`}): see ${join(dir, "logs", `${name}.log`)}`));
    });
  };

  try {
    say(`binfleet demo: state and logs in ${dir}${disks.inMemory ? `; the simulated machines' disks in ${disks.path} (a tmpfs, removed when the demo ends)` : ""}`);
    say(`\n[1/9] generating a fleet: ${nodes} nodes on ${platforms} platforms (portage-sim, real Gentoo package names)`);
    const fleet = await generateFleet({ nodes, platforms, seed: 1, out: join(disks.path, "fleet") });
    builderRoots.push(...fleet.platforms.map((p) => p.builderRoot));
    say(`      ${fleet.ebuilds} ebuilds; platforms ${fleet.platforms.map((p) => `${p.name} (${p.key})`).join(", ")}`);
    const first = fleet.nodes[0]!;
    const before = await pretend(first.root);
    clock.done("fleet");
    removingPrevious = execa("rm", ["-rf", previous], { reject: false });

    const stateDir = join(dir, "coordinator");
    const [natsPort, httpPort, apiPort, dashboardPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // Two tokens an admin would configure: the CLI's (admin) and one to look at the dashboard with (viewer).
    const tokens = { admin: randomBytes(24).toString("base64url"), viewer: randomBytes(24).toString("base64url") };
    const tokenFile = join(dir, "admin.token");
    await writeFile(tokenFile, `${tokens.admin}\n`, { mode: 0o600 });
    const config: CoordinatorConfigInput = {
      stateDir,
      nats: { urls: [], embeddedPort: natsPort },
      http: { host: "127.0.0.1", port: httpPort },
      api: { host: "127.0.0.1", port: apiPort, tokens: [{ name: "admin", role: "admin", token: tokens.admin }, { name: "viewer", role: "viewer", token: tokens.viewer }] },
      dashboard: { host: "127.0.0.1", port: dashboardPort },
      // One builder worker per platform; the seed audits every build, and nodes update only in rollouts.
      // A security fix is its own approval: binfleet glsa fix builds at once.
      platforms: fleet.platforms.map((p) => ({ name: p.name, key: p.key, root: p.builderRoot, workers: 1 })),
      portage: simBuilderPortage({ BINFLEET_SIM_SPEED: speed, BINFLEET_SIM_CACHE: simCache }),
      policy: { requireApproval: true, notify: "rollout", security: "auto" },
      schedule: { nightly: "02:30", reportWaitSeconds: 120 },
    };
    await writeFile(join(dir, "coordinator.json"), JSON.stringify(config, null, 2));
    say(`\n[2/9] starting binfleet-coordinator (embedded nats-server on :${natsPort}, binhost on :${httpPort}, ops API on :${apiPort}, dashboard on :${dashboardPort})`);
    spawn("coordinator", [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", join(dir, "coordinator.json")]);
    const api = createClient(FleetControlService, `127.0.0.1:${apiPort}`);
    const md = new grpc.Metadata();
    // The shared polling helper, at a pace that leaves the CPU to the fleet.
    const waitFor = <T>(what: string, fn: () => Promise<T | null>, ms: number): Promise<T> => Promise.race([until(what, fn, ms, 1000), exited]);
    md.set("authorization", `Bearer ${tokens.admin}`);
    await waitFor("the ops API", () => api.listPlatforms({}, { metadata: md }), 60_000);
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}/ui/`;
    say(`      dashboard: ${dashboardUrl}  (log in as viewer with ${tokens.viewer}, as admin with ${tokens.admin})`);
    clock.done("coordinator");
    const cli = async (...args: string[]): Promise<string> => {
      const r = await runProgram("binfleet", ["--server", `127.0.0.1:${apiPort}`, "--token-file", tokenFile, ...args], { reject: false });
      if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`binfleet ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };

    say(`\n[3/9] enrolling ${nodes} nodes (binfleet enroll NODE on the binhost: each its own bus user; binfleet-agent enroll on the node) and starting one binfleet-agent process each`);
    // A few nodes at a time, as an admin's script would: each enrollment imports a key with gpg.
    const enrollNode = async (n: (typeof fleet.nodes)[number]): Promise<void> => {
      const bundle = join(dir, "agents", `${n.name}.bundle.json`);
      const config = join(dir, "agents", `${n.name}.json`);
      await cli("enroll", n.name, "--out", bundle);
      // The node's local settings; `binfleet-agent enroll` keeps them and adds the bus user and keys
      // from the bundle, trusts the binhost's binpkg key and points binrepos.conf at it.
      const local = {
        root: n.root,
        stateDir: join(dir, "agents", n.name),
        portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: speed, BINFLEET_SIM_CACHE: simCache } },
        heartbeatSeconds: 5,
        watchSeconds: 10,
      };
      await writeFile(config, JSON.stringify(local, null, 2));
      const enrolled = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", config], { reject: false });
      if (enrolled.exitCode !== 0) throw new Error(`binfleet-agent enroll on ${n.name}: ${enrolled.stderr}`);
      spawn(`agent-${n.name}`, [...programArgv("binfleet-agent"), "run", "--config", config]);
    };
    // Four at a time, the next starting as soon as one is done; none after one failed.
    const queue = [...fleet.nodes];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        await enrollNode(n).catch((err: unknown) => {
          queue.length = 0;
          throw err;
        });
      }
    }));
    await waitFor("a report from every node", async () => ((await api.listNodes({}, { metadata: md })).nodes.length === nodes ? true : null), 10 * 60_000);
    clock.done("enrollAndFirstReports");
    say(`      every node reported; ${first.name} today, with nothing on the binhost (emerge -pvuDN --getbinpkg @world):`);
    say(indent(before.text.split("\n").filter((l) => l.startsWith("[")).join("\n"), 6));
    say(`      ${before.text.split("\n").find((l) => l.startsWith("Total:")) ?? ""}`);

    say("\n[4/9] the nightly job on demand (binfleet sync): builders sync, nodes behind their snapshot sync and re-report, distfiles fetched");
    say(indent(await cli("sync")));
    clock.done("nightly");

    say("\n[5/9] the build list (binfleet plan): every variant some node would compile, once, waiting for the audit");
    const planText = await cli("plan");
    say(indent(planText.replace(/^\n/, ""), 12));
    const plan = await api.getPlan({}, { metadata: md });
    const screenshot = option("--screenshot");
    if (screenshot !== null) {
      // The fleet page while every node still would compile: the numbers the rest of the demo brings down.
      const why = await screenshotFleet(dashboardUrl, tokens.viewer, resolve(screenshot));
      say(why === null ? `      the fleet page: ${resolve(screenshot)}` : `      no screenshot: ${why}`);
    }
    const variantsNeeded = plan.items.length;
    const localCompilesBefore = (await api.listNodes({}, { metadata: md })).nodes.reduce((s, n) => s + n.pendingCompile, 0);

    say("\n[6/9] a security advisory in the tree affects the fleet (binfleet glsa); binfleet glsa fix builds the fixing version ahead of the audit's builds and updates exactly the exposed nodes");
    say(indent(await cli("glsa")));
    const advisory = (await api.listAdvisories({}, { metadata: md })).advisories[0];
    let glsa: { id: string; exposedBefore: number; exposedAfter: number; seconds: number } | null = null;
    if (advisory === undefined) say("      no advisory of the tree affects this fleet");
    else {
      say(indent(await cli("glsa", "show", advisory.id), 12));
      const fixStarted = Date.now();
      say(indent(await cli("glsa", "fix", advisory.id, "--canary", "1", "--max-in-flight", "8"), 4));
      const fixing = live();
      const closed = await waitFor(
        "no node exposed to the advisory",
        async () => {
          const a = (await api.getAdvisory({ id: advisory.id }, { metadata: md })).advisory!;
          fixing(`      GLSA ${a.id}: ${a.nodesExposed} of ${advisory.nodesExposed} nodes exposed; fix ${a.fix?.state ?? "-"}`);
          return a.nodesExposed === 0 ? a : null;
        },
        10 * 60_000,
      );
      fixing(null);
      glsa = { id: advisory.id, exposedBefore: advisory.nodesExposed, exposedAfter: closed.nodesExposed, seconds: Math.round((Date.now() - fixStarted) / 100) / 10 };
      say(`      GLSA ${advisory.id} fixed fleet-wide: ${glsa.exposedBefore} nodes exposed, none ${glsa.seconds} s after binfleet glsa fix`);
    }
    clock.done("glsaFix");

    say("\n[7/9] the admin audits and approves (binfleet approve --all --platform P); builders build each variant once");
    for (const p of fleet.platforms) say(indent(await cli("approve", "--all", "--platform", p.name)));
    const progress = live();
    await waitFor(
      "every approved variant built",
      async () => {
        const b = (await api.listBuilds({}, { metadata: md })).builds;
        const count = (s: BuildState): number => b.filter((x) => x.result?.state === s).length;
        progress(`      builds: ${count(BuildState.SUCCEEDED)} done, ${count(BuildState.RUNNING)} running, ${count(BuildState.QUEUED)} queued, ${count(BuildState.FAILED)} failed`);
        // The plan is asked only once nothing is queued or running: it is the heavier call.
        if (count(BuildState.QUEUED) + count(BuildState.RUNNING) > 0) return null;
        return (await api.getPlan({}, { metadata: md })).items.length === 0 ? b : null;
      },
      20 * 60_000,
    );
    progress(null);
    clock.done("builds");
    const builds = (await api.listBuilds({}, { metadata: md })).builds.filter((b) => b.result?.state === BuildState.SUCCEEDED);
    const ready = await pretend(first.root);

    say("\n[8/9] the binhost is served over HTTP; rollout with a canary (binfleet rollout start --canary 1 --max-in-flight 6)");
    say(indent(await cli("rollout", "start", "--canary", "1", "--max-in-flight", "6"), 3));
    const rolling = live();
    const rollout = await waitFor(
      "the rollout",
      async () => {
        const r = (await api.getRollout({}, { metadata: md })).rollout!;
        const n = (st: string): number => r.nodes.filter((x) => x.state === st).length;
        const canary = r.nodes.find((x) => x.canary);
        rolling(`      rollout ${r.state}: canary ${canary?.nodeId ?? "-"} ${canary?.state ?? ""}; ${n("succeeded")} succeeded, ${n("updating")} updating, ${n("waiting")} waiting, ${n("failed")} failed`);
        return r.state === "done" || r.state === "halted" ? r : null;
      },
      20 * 60_000,
    );
    rolling(null);
    clock.done("rollout");
    say(indent(await cli("rollout", "status"), 2));

    // The nodes' reports after their update reach the coordinator a moment after emerge ends.
    const finalNodes = await waitFor("every node's report after the rollout", async () => {
      const ns = (await api.listNodes({}, { metadata: md })).nodes;
      return ns.every((n) => n.pendingBinary + n.pendingCompile === 0) ? ns : null;
    }, 120_000).catch(async () => (await api.listNodes({}, { metadata: md })).nodes);
    const after = await pretend(first.root);
    say(`\n[9/9] ${first.name}: the same emerge -pvuDN --getbinpkg @world once the binhost had its binaries, before the rollout:`);
    say(indent(ready.text.split("\n").filter((l) => l.startsWith("[")).join("\n"), 6));
    say(`      ${ready.text.split("\n").find((l) => l.startsWith("Total:")) ?? ""}`);
    say(`      and after the rollout: ${after.plan.total?.packages === 0 || after.plan.total === null ? "nothing to merge, the node is current" : after.text.split("\n").find((l) => l.startsWith("Total:"))}`);

    // Fleet compile time: every node compiling its own [ebuild] lines vs each variant built once.
    const repoSeconds = await simulatedBuildSeconds(fleet.repo, [...plan.items.map((i) => i.cpv)]);
    const fleetSecondsBefore = plan.items.reduce((s, i) => s + (repoSeconds.get(i.cpv) ?? 0) * i.wantedByCount, 0);
    const fleetSecondsWith = plan.items.reduce((s, i) => s + (repoSeconds.get(i.cpv) ?? 0), 0);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const installs = (kind: string): number => Number(new RegExp(`^binfleet_node_installs_total\\{kind="${kind}"\\} (\\d+)$`, "m").exec(metrics)?.[1] ?? 0);
    const variantIds = builds.map((b) => b.job!.id);
    const summary = {
      nodes,
      platforms,
      variantsNeeded,
      buildsRun: builds.length,
      duplicateBuilds: variantIds.length - new Set(variantIds).size,
      nodesCurrent: finalNodes.filter((n) => n.pendingBinary + n.pendingCompile === 0).length,
      localCompilesBefore,
      localCompilesAfter: installs("compiled"),
      binaryInstalls: installs("binary"),
      rollout: rollout.state,
      glsa: glsa?.id ?? null,
      glsaExposedBefore: glsa?.exposedBefore ?? 0,
      glsaExposedAfter: glsa?.exposedAfter ?? 0,
      glsaFixSeconds: glsa?.seconds ?? null,
      fleetCompileHoursBefore: Math.round(fleetSecondsBefore / 360) / 10,
      fleetCompileHoursWith: Math.round(fleetSecondsWith / 360) / 10,
      seconds: clock.seconds(),
      phases: clock.phases,
      stateDir: dir,
    };
    say(`\nSummary: ${summary.nodes} nodes on ${summary.platforms} platforms needed ${summary.variantsNeeded} variants; ${summary.buildsRun} built, ${summary.duplicateBuilds} duplicates;`);
    say(`         ${summary.nodesCurrent}/${summary.nodes} nodes current after rollout (${summary.rollout}); local compiles ${summary.localCompilesBefore} before, ${summary.localCompilesAfter} after;`);
    say(`         fleet compile time ${summary.fleetCompileHoursBefore} h without binfleet, ${summary.fleetCompileHoursWith} h with it; demo took ${summary.seconds} s`);
    if (glsa !== null) say(`         GLSA ${glsa.id}: ${glsa.exposedBefore} nodes exposed, ${glsa.exposedAfter} after binfleet glsa fix (${glsa.seconds} s)`);
    api.close();
    await stopAll();
    summary.seconds = clock.seconds();
    say(`         (${summary.seconds} s with every process stopped)`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.nodesCurrent === nodes && summary.duplicateBuilds === 0 && summary.glsaExposedAfter === 0 ? 0 : 1;
  } finally {
    await stopAll();
    await removingPrevious;
  }
}

process.exitCode = process.argv.includes("--real-portage") ? await realPortageDemo(json) : await main();
