// The agent's footprint (issue #21): a real binfleet-agent process on a portage-sim node, connected
// to nats-server, measured once its first report is in the stream: its idle RSS and CPU, against a
// bare Node process holding one NATS connection; and what a 1,500-package report weighs on the wire.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { generateKeyPairSync } from "node:crypto";
import { serveCatchUps, streams, subjects } from "@binfleet/bus";
import { createLogger } from "@binfleet/daemon";
import { startNatsServer } from "@binfleet/nats-server";
import { installProgram } from "@binfleet/release";
import { generateFleet, simToolArgv } from "@binfleet/portage-sim";
import { compressReport, decodeReport, publicKeyToBase64 } from "@binfleet/shared";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Figure, type FigureGroup, figure } from "./measure.js";
import { realisticReport } from "./realistic-report.js";
import type { Want } from "./selection.js";

/** How long CPU is sampled: a heartbeat and a vdb watch (both every 30 s by default) fall inside. */
const CPU_WINDOW_S = 31;
/** After the first report: what the agent allocated for it is collected or settled. */
const SETTLE_MS = 5_000;

/** Resident set size of a process, in MiB (/proc/<pid>/status). */
async function rssMiB(pid: number): Promise<number> {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU seconds of a process and its reaped children (utime, stime, cutime, cstime of /proc/<pid>/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i]), 0);
  return ticks / 100;
}

/** What a bare Node process holding one NATS connection keeps resident: the floor under any agent. */
const BARE = `import { connect } from "@nats-io/transport-node";
await connect({ servers: process.argv[1] });
process.send("ready");`;

function waitForMessage(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`process exited (${code}) before it was ready`)));
  });
}

export const agentFootprint: FigureGroup = { ids: ["agent.rss", "agent.cpu", "agent.report"], figures: agentFigures };

async function agentFigures(want: Want): Promise<Figure[]> {
  const out: Figure[] = [];
  if (want("agent.rss") || want("agent.cpu")) out.push(...(await processFigures(want)));
  if (want("agent.report")) {
    const encoded = realisticReport("node-1");
    const wire = compressReport(encoded);
    if (decodeReport(wire, encoded.length).installed.length !== 1500) throw new Error("the report does not decode to what was sent");
    out.push(figure("agent.report", wire.length / 1024, "KiB", encoded.length / 1024, "a report of 1,500 installed packages (10 IUSE flags each) and 120 pending updates as the agent publishes it: protobuf, gzipped; baseline: the same protobuf uncompressed, as agents sent it before; goal < 100 KB"));
  }
  return out;
}

async function processFigures(want: Want): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-agent-"));
  const server = await startNatsServer({ dir: join(dir, "nats") });
  const nc = await connect({ servers: server.url });
  const children: ChildProcess[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of Object.values(streams)) await jsm.streams.add({ ...s, subjects: [...s.subjects] });
    // What the coordinator does for agents: their catch-up consumers, on request.
    serveCatchUps(nc, jsm, createLogger({ name: "bench", level: "silent", destination: new PassThrough() }));

    // The client resolved from the bench's own node_modules.
    const bare = spawn(process.execPath, ["--input-type=module", "-e", BARE.replace("@nats-io/transport-node", import.meta.resolve("@nats-io/transport-node")), server.url], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    children.push(bare);
    await waitForMessage(bare);
    await sleep(SETTLE_MS);
    const bareRss = await rssMiB(bare.pid!);

    const fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 3, out: join(dir, "fleet") });
    const node = fleet.nodes[0]!;
    const config = join(dir, "agent.json");
    await writeFile(
      config,
      JSON.stringify({
        nodeId: "node-1",
        nats: { urls: [server.url] },
        coordinatorKeys: { k1: publicKeyToBase64(generateKeyPairSync("ed25519").publicKey) },
        root: node.root,
        stateDir: join(dir, "state"),
        portage: { emerge: simToolArgv("emerge"), portageq: simToolArgv("portageq"), env: { BINFLEET_SIM_ROOT: node.root, BINFLEET_SIM_SPEED: "0" } },
      }),
    );
    // The agent as the release installs it: one bundled file, started through bin/'s symlink and its
    // own #! line (which carries its Node flags), with the bench's node first on PATH.
    const { bin: agentBin } = await installProgram("binfleet-agent", join(dir, "prefix"));
    const agent = spawn(agentBin, ["run", "--config", config], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`, BINFLEET_LOG_LEVEL: "warn" } });
    children.push(agent);
    const started = performance.now();
    let report: Uint8Array | null = null;
    while (report === null) {
      if (agent.exitCode !== null) throw new Error(`binfleet-agent exited (${agent.exitCode}) before its first report`);
      if (performance.now() - started > 120_000) throw new Error("binfleet-agent sent no report in 2 minutes");
      report = (await jsm.streams.getMessage(streams.reports.name, { last_by_subj: subjects.report("node-1") }).catch(() => null))?.data ?? null;
      if (report === null) await sleep(200);
    }
    const firstReportS = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const rss = await rssMiB(agent.pid!);
    const out = [figure("agent.rss", rss, "MiB", bareRss, `binfleet-agent run as installed (the release bundle, libexec/binfleet/binfleet-agent.mjs, started through the bin/ symlink and its #! line: node --lite-mode), default intervals, on a portage-sim node of ${node.installed} installed packages, ${SETTLE_MS / 1000} s after its first report (${Math.round(firstReportS)} s after start; ${Math.round(report.length / 1024)} KiB on the wire); baseline: a bare Node process holding one NATS connection; goal < 60 MB`)];
    if (want("agent.cpu")) {
      const cpu0 = await cpuSeconds(agent.pid!);
      await sleep(CPU_WINDOW_S * 1000);
      const busy = (await cpuSeconds(agent.pid!)) - cpu0;
      out.push(figure("agent.cpu", (busy / CPU_WINDOW_S) * 100, "% of a core", null, `the same idle agent over ${CPU_WINDOW_S} s (not a minute: the bench's time; one heartbeat and one vdb watch at the default 30 s fall inside), its own CPU and its reaped children's, from /proc/<pid>/stat; goal < 1 %`));
    }
    return out;
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null)));
    await nc.close();
    await server.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
