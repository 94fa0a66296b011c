// A fleet on real Portage: builder roots and nodes are real-Portage machines (@binfleet/real-portage),
// the coordinator and one agent per node run as the installed programs do, the CLI drives them.
// Used by the real-Portage tier of npm test and by `npm run demo -- --real-portage`.
import { type WriteStream, createWriteStream } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createSigningKey, ensureTrustAnchor, trustSigningKey } from "@binfleet/binpkg-keys";
import { adminTokenFile } from "@binfleet/coordinator";
import { BUILDER_MAKE_CONF, BUILD_ROOT_ENV, Machine, NODE_MAKE_CONF, type PreparedPortage, preparePortage, stopMarkedGpgAgents, withBuildRoot } from "@binfleet/real-portage";
import { freePort, until } from "@binfleet/shared/testing";
import { execa } from "execa";
import { binOf } from "./fleet-harness.js";
import { programArgv, runProgram } from "./programs.js";

export interface RealPlatformSpec {
  readonly name: string;
  /** COMMON_FLAGS of the platform's make.conf (builders and nodes): what makes platforms differ. */
  readonly flags: string;
}

export interface RealNodeSpec {
  readonly name: string;
  readonly platform: string;
  readonly world: readonly string[];
  readonly packageUse?: readonly string[];
  /**
   * The node as a Gentoo install that used the official binhost before binfleet: `binrepos.conf` is a
   * file, and getuto made `/etc/portage/gnupg` (its trust anchor and a release key it trusts).
   * `getutoKeyName` names the release key, for checks.
   */
  readonly getuto?: boolean;
}

export interface RealFleet {
  readonly portage: PreparedPortage;
  readonly builders: ReadonlyMap<string, { readonly machine: Machine; readonly key: string }>;
  readonly nodes: ReadonlyMap<string, { readonly machine: Machine; readonly platform: string }>;
  readonly stateDir: string;
  /** Runs `binfleet --json ARGS…` against the coordinator as admin; parses stdout when it exits 0. */
  cli(...args: string[]): Promise<{ exitCode: number; json: unknown; stderr: string; stdout: string }>;
  /** What the coordinator and agents printed, for failure messages. */
  logs(): string;
  teardown(): Promise<void>;
}

const withFlags = (makeConf: string, flags: string): string => makeConf.replace(/^COMMON_FLAGS=".*"$/m, `COMMON_FLAGS="${flags}"`);


/**
 * Every gpg-agent the fleet's programs start (their builds', their machines', their own) inherits
 * this from them: teardown stops them by it, wherever their sockets are.
 */
const FLEET_MARKER = "BINFLEET_TEST_FLEET";

/** A daemon in its own process group, its output kept. */
function spawnDaemon(argv: readonly string[], out: { text: string; file?: WriteStream }, name: string, fleetDir: string) {
  const [file, ...args] = argv;
  const child = execa(file!, args, { detached: true, reject: false, all: true, env: { BINFLEET_LOG_LEVEL: "info", [FLEET_MARKER]: fleetDir } });
  child.all?.on("data", (d: Buffer) => {
    const text = d.toString().split("\n").map((l) => (l === "" ? l : `[${name}] ${l}`)).join("\n");
    out.text += text;
    out.file?.write(text);
  });
  return child;
}

type Child = ReturnType<typeof spawnDaemon>;

async function stopDaemon(child: Child): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }, 20_000);
  await child;
  clearTimeout(timer);
}

/**
 * Makes builder roots and nodes as real-Portage machines, starts the coordinator with its builders
 * building inside the roots (bubblewrap; the roots are assembled by with-build-root, which the
 * coordinator process runs inside of), enrolls every node with the CLI and `binfleet-agent enroll`,
 * and starts one agent process per node.
 */
export async function startRealFleet(o: { dir: string; platforms: readonly RealPlatformSpec[]; nodes: readonly RealNodeSpec[]; requireApproval: boolean }): Promise<RealFleet> {
  const portage = await preparePortage();
  // Every daemon's lines, also in <dir>/daemons.log (kept with BINFLEET_E2E_KEEP) for a failure's story.
  const out = { text: "", file: createWriteStream(join(o.dir, "daemons.log")) };
  const daemons: Child[] = [];
  const machines: Machine[] = [];
  const builders = new Map<string, { machine: Machine; key: string }>();
  const nodes = new Map<string, { machine: Machine; platform: string }>();
  const stateDir = join(o.dir, "coordinator");
  const teardown = async (): Promise<void> => {
    for (const d of daemons.reverse()) await stopDaemon(d);
    for (const m of machines) await m.dispose();
    await stopMarkedGpgAgents(FLEET_MARKER, o.dir);
    out.file.end();
  };
  try {
    for (const p of o.platforms) {
      const machine = await Machine.create(join(o.dir, `b-${p.name}`), { portage, makeConf: withFlags(BUILDER_MAKE_CONF, p.flags) });
      machines.push(machine);
      builders.set(p.name, { machine, key: "" });
    }
    const agentConfigs = new Map<string, string>();
    for (const n of o.nodes) {
      const flags = o.platforms.find((p) => p.name === n.platform)!.flags;
      const machine = await Machine.create(join(o.dir, `n-${n.name}`), { portage, makeConf: withFlags(NODE_MAKE_CONF, flags), world: n.world, ...(n.packageUse === undefined ? {} : { packageUse: n.packageUse }) });
      machines.push(machine);
      nodes.set(n.name, { machine, platform: n.platform });
      if (n.getuto === true) await asGetutoMadeIt(machine);
      // The node's local settings: enrollment keeps them and adds the bus user and keys.
      const config = join(o.dir, `agent-${n.name}.json`);
      await writeFile(config, JSON.stringify({ root: machine.dir, stateDir: join(o.dir, `agent-state-${n.name}`), heartbeatSeconds: 2, watchSeconds: 1, portage: { emerge: machine.argv("emerge"), portageq: machine.argv("portageq") } }));
      agentConfigs.set(n.name, config);
    }
    // Each platform's key, as its nodes' agents compute it from their Portage.
    for (const [name, b] of builders) {
      const node = o.nodes.find((n) => n.platform === name)!;
      const m = nodes.get(node.name)!.machine;
      const probe = join(o.dir, `probe-${node.name}.json`);
      await writeFile(probe, JSON.stringify({ nodeId: node.name, nats: { urls: ["nats://127.0.0.1:1"] }, coordinatorKeys: { k: "unused" }, root: m.dir, stateDir: join(o.dir, "probe-state"), portage: { emerge: m.argv("emerge"), portageq: m.argv("portageq") } }));
      const r = await runProgram("binfleet-agent", ["report", "--config", probe], { reject: false });
      if (r.exitCode !== 0) throw new Error(`binfleet-agent report on ${node.name}: ${r.stderr}`);
      builders.set(name, { ...b, key: (JSON.parse(r.stdout) as { platform: { key: string } }).platform.key });
    }
    const [httpPort, apiPort] = [await freePort(), await freePort()];
    const configFile = join(o.dir, "coordinator.json");
    await writeFile(
      configFile,
      JSON.stringify({
        stateDir,
        nats: { urls: [], embeddedPort: 0 },
        http: { host: "127.0.0.1", port: httpPort },
        api: { host: "127.0.0.1", port: apiPort },
        platforms: [...builders].map(([name, b]) => ({ name, key: b.key, root: join(b.machine.dir, "root"), workers: 1 })),
        portage: { emerge: ["emerge"], portageq: ["portageq"], gpkgSign: ["gpkg-sign"], emaint: ["emaint"], env: { ...BUILD_ROOT_ENV, [FLEET_MARKER]: o.dir }, isolation: "bwrap" },
        policy: { requireApproval: o.requireApproval, notify: "rollout" },
      }),
    );
    // Each builder root is assembled (overlays of the host's /usr and /etc) in the coordinator's own
    // mount namespace: a stage3 of the platform stands there in production.
    const wrap = [...builders.values()].flatMap((b) => [withBuildRoot, b.machine.dir]);
    daemons.push(spawnDaemon([...wrap, process.execPath, binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "run", "--config", configFile], out, "coordinator", o.dir));
    await until("the coordinator started", async () => out.text.includes('"msg":"coordinator started"') || (daemons[0]!.exitCode !== null ? Promise.reject(new Error(out.text)) : false), 120_000, 200);
    const api = `127.0.0.1:${apiPort}`;
    const cli = async (...args: string[]) => {
      const r = await runProgram("binfleet", ["--server", api, "--token-file", adminTokenFile(stateDir), "--json", ...args], { reject: false });
      let json: unknown = null;
      if (r.exitCode === 0) json = r.stdout.includes("\n") ? r.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown) : r.stdout === "" ? null : (JSON.parse(r.stdout) as unknown);
      return { exitCode: r.exitCode ?? 1, json, stderr: r.stderr, stdout: r.stdout };
    };
    for (const n of o.nodes) {
      const bundle = join(o.dir, `bundle-${n.name}.json`);
      const enrolled = await runProgram("binfleet", ["--server", api, "--token-file", adminTokenFile(stateDir), "enroll", n.name, "--out", bundle], { reject: false });
      if (enrolled.exitCode !== 0) throw new Error(`binfleet enroll ${n.name}: ${enrolled.stderr}`);
      const joined = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", agentConfigs.get(n.name)!], { reject: false });
      if (joined.exitCode !== 0) throw new Error(`binfleet-agent enroll on ${n.name}: ${joined.stderr}`);
      daemons.push(spawnDaemon([process.execPath, ...programArgv("binfleet-agent"), "run", "--config", agentConfigs.get(n.name)!], out, n.name, o.dir));
    }
    return { portage, builders, nodes, stateDir, cli, logs: () => out.text, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** The release key a getuto-made keyring trusts on the node (see RealNodeSpec.getuto). */
export const getutoKeyName = "Gentoo Linux Release Engineering (Automated Weekly Release Key) <releng@gentoo.org>";

/** What a node that used Gentoo's binhost has: binrepos.conf as a file, getuto's keyring. */
async function asGetutoMadeIt(machine: Machine): Promise<void> {
  await writeFile(machine.path("/etc/portage/binrepos.conf"), "# Binary package repositories (a file, as the handbook writes it).\n# The admin's own settings stay when binfleet enrolls.\n");
  const home = machine.path("/etc/portage/gnupg");
  await ensureTrustAnchor(home);
  // Inside the machine's directory: its dispose() stops the gpg-agent this starts.
  await trustSigningKey(home, await createSigningKey(join(machine.dir, "releng-gnupg"), getutoKeyName));
}

/** `emerge -pvuDN @world` on a machine, as a node's admin would run it: the merge list Portage prints. */
export async function pendingOn(machine: Machine): Promise<string> {
  const r = await machine.run(["emerge", "--color=n", "--pretend", "--verbose", "--update", "--deep", "--newuse", "@world"]);
  return r.stdout;
}

/** The vdb entries of a machine: category/pf → its BINPKGMD5 ("" when compiled there). */
export async function installedOn(machine: Machine, cps: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const cp of cps) {
    const [cat, pn] = cp.split("/") as [string, string];
    const dir = machine.path(`/var/db/pkg/${cat}`);
    for (const pf of (await readdir(dir).catch(() => [] as string[])).filter((e) => e.startsWith(`${pn}-`) && /^\d/.test(e.slice(pn.length + 1)))) {
      out.set(`${cat}/${pf}`, (await readFile(join(dir, pf, "BINPKGMD5"), "utf8").catch(() => "")).trim());
    }
  }
  return out;
}
