import { inboxPrefix, streams, subjects } from "@binfleet/bus";
// The fleet as a product for tests and the demo: a generated portage-sim fleet, a coordinator with
// its embedded nats-server and signing binhost, and one agent per node. teardown() logs, never throws.
import { cp, lstat, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fromBinary } from "@bufbuild/protobuf";
import { Agent, type AgentConfig, agentConfig } from "@binfleet/agent";
import { ensureSigningKey, trustSigningKey } from "@binfleet/binpkg-keys";
import { Coordinator, type CoordinatorConfigInput, coordinatorConfig, heldVariants, variantKey } from "@binfleet/coordinator/internal";
import { type FleetManifest, runTool, simToolArgv } from "@binfleet/portage-sim";
import { type Logger, decodeReport, parseEmergePretend, parsePackagesIndex } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type AgentReport, type Command, CommandSchema, ProgressEventSchema, SignedCommandSchema } from "@binfleet/shared/wire";
import { type JetStreamManager, type StoredMsg, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";

import { binOf } from "./programs.js";

export { binOf };
/** argv of a portage-sim tool, as builders and agents are configured with it (with the flags of its #! line). */
export const sim = simToolArgv;

/** A builder's Portage: every tool the coordinator runs, simulated, in builder roots named by BINFLEET_SIM_ROOT. */
export const simBuilderPortage = (env: Record<string, string> = {}) => ({ emerge: sim("emerge"), portageq: sim("portageq"), gpkgSign: sim("gpkg-sign"), emaint: sim("emaint"), env, isolation: "none" as const, rootVariable: "BINFLEET_SIM_ROOT" });

export interface FleetHarness {
  readonly fleet: FleetManifest;
  readonly coordinator: Coordinator;
  readonly agents: readonly Agent[];
  /** The first report each node sent, before anything was built. */
  firstReports(): Promise<Map<string, AgentReport>>;
  /** The newest report of a node, or null. */
  latestReport(node: string): Promise<AgentReport | null>;
  /**
   * Waits until a node has nothing left to do: its newest report on the bus says so (cheap to
   * poll), then portage-sim's `emerge -pvuDN --getbinpkg @world` on its root agrees.
   */
  untilCurrent(node: FleetManifest["nodes"][number], what: string, ms: number): Promise<void>;
  /** Every command sent to a node that is still on the bus, oldest first, decoded (signature not checked). */
  commandsFor(node: string): Promise<Command[]>;
  /** Every progress event on the bus, decoded. */
  progress(): Promise<ReturnType<typeof fromBinary<typeof ProgressEventSchema>>[]>;
  /** Per platform the coordinator builds, by name: how often each variant appears in its Packages index. */
  binhostCounts(): Promise<Map<string, Map<string, number>>>;
  /**
   * Turns off one enabled flag of a package the node has installed (package.use), asks it for a
   * report, and waits until the new variant is on the binhost and the node reports nothing left to
   * do. Returns that variant and the package's IUSE.
   */
  changeUse(node: FleetManifest["nodes"][number]): Promise<{ wanted: string; iuse: ReadonlySet<string> }>;
  /** What the bus refused anyone so far (the embedded server's violation lines): empty when every user kept to its permissions. */
  busRefusals(): string[];
  /** Stops a node's agent: the node is away (no heartbeats or reports; its commands wait on the bus). */
  stopAgent(node: string): Promise<void>;
  /** Starts a stopped node's agent again, with its state: the node is back. */
  startAgent(node: string): Promise<void>;
  teardown(): Promise<void>;
}

/** portage-sim's emerge on a root, at full speed: its exit code and everything it printed. */
export async function simEmerge(root: string, argv: readonly string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runTool("emerge", argv, { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0" }, { out: (t) => void (out += t), err: (t) => void (out += t) });
  return { code, out };
}

/** `emerge -pvuDN --getbinpkg @world` on a node, parsed (and the raw text). */
export async function pretend(root: string): Promise<{ text: string; plan: ReturnType<typeof parseEmergePretend> }> {
  let text = "";
  await runTool("emerge", ["--pretend", "--verbose", "--update", "--deep", "--newuse", "--getbinpkg", "@world"], { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0" }, { out: (t) => void (text += t), err: () => undefined });
  return { text, plan: parseEmergePretend(text) };
}

/**
 * Another builder root for a platform, as an admin makes one: a copy of its root (tree, vdb, make.conf
 * and signing key) beside it, whose PKGDIR is the first root's, so binaries land on the one binhost.
 * Beside it: the generated root's relative links (tree, shared vdb) resolve the same from there.
 */
export async function extraRoot(platform: FleetManifest["platforms"][number], name: string): Promise<string> {
  const dir = join(dirname(platform.builderRoot), name);
  // The signing key first: the copy must sign with the key the coordinator will use.
  await ensureSigningKey(join(platform.builderRoot, "etc/portage/gnupg-signing"), `binfleet builder ${platform.name} <binpkg@binfleet.invalid>`);
  await mkdir(join(platform.builderRoot, "var/cache/binpkgs"), { recursive: true });
  // gpg-agent's sockets are not copied: they belong to the agent of the original root.
  await cp(platform.builderRoot, dir, { recursive: true, verbatimSymlinks: true, filter: async (src) => !(await lstat(src)).isSocket() });
  await rm(join(dir, "var/cache/binpkgs"), { recursive: true, force: true });
  await symlink(join(platform.builderRoot, "var/cache/binpkgs"), join(dir, "var/cache/binpkgs"));
  return dir;
}

/**
 * A started coordinator on loopback ports it picks, with its embedded broker, logging nowhere:
 * one platform's builder root (no workers unless given), for tests about one concern.
 */
export async function startQuietCoordinator(stateDir: string, platform: FleetManifest["platforms"][number], config: Partial<CoordinatorConfigInput> = {}): Promise<Coordinator> {
  const c = await Coordinator.create(
    coordinatorConfig({
      stateDir,
      nats: { urls: [], embeddedPort: 0 },
      http: { host: "127.0.0.1", port: 0 },
      api: { host: "127.0.0.1", port: 0 },
      platforms: [{ name: platform.name, key: platform.key, root: platform.builderRoot, workers: 0 }],
      portage: simBuilderPortage(),
      ...config,
    }),
    createLogger({ name: "test", level: "error", destination: new PassThrough() }),
  );
  await c.start();
  return c;
}

export async function startFleet(o: {
  fleet: FleetManifest;
  dir: string;
  log: Logger;
  speed: string;
  workersOfFirstPlatform?: number;
  /** More builder roots, by platform name (see extraRoot). */
  extraRoots?: Readonly<Record<string, readonly string[]>>;
  /** The platforms the coordinator builds (by name; default all): the others' nodes have no binhost. */
  builderPlatforms?: readonly string[];
  config?: Partial<CoordinatorConfigInput>;
}): Promise<FleetHarness> {
  const { fleet, dir, log } = o;
  // Simulated machines share gpg verdicts and zstd output by digest, as the demo's do: the tests'
  // two cores pay once per package file, not once per node (see portage-sim's DigestCache).
  const simCache = join(dir, "sim-cache");
  const coordinator = await Coordinator.create(
    coordinatorConfig({
      stateDir: join(dir, "coordinator"),
      nats: { urls: [], embeddedPort: 0 },
      http: { host: "127.0.0.1", port: 0 },
      api: { host: "127.0.0.1", port: 0 },
      ...o.config,
      platforms: fleet.platforms.filter((p) => o.builderPlatforms?.includes(p.name) ?? true).map((p, i) => ({ name: p.name, key: p.key, root: p.builderRoot, workers: i === 0 ? (o.workersOfFirstPlatform ?? 1) : 1, extraRoots: [...(o.extraRoots?.[p.name] ?? [])] })),
      portage: simBuilderPortage({ BINFLEET_SIM_SPEED: o.speed, BINFLEET_SIM_CACHE: simCache }),
    }),
    log.child({ component: "coordinator" }),
  );
  const agents: Agent[] = [];
  const agentConfigs: AgentConfig[] = [];
  let nc: NatsConnection | null = null;
  let jsm: JetStreamManager;
  const teardown = async (): Promise<void> => {
    for (const step of [...agents.map((a) => () => a.shutdown()), () => nc?.close() ?? Promise.resolve(), () => coordinator.shutdown()]) {
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => log.warn({ err }, "teardown step failed"));
    }
  };
  try {
    await coordinator.start();
    nc = await connect({ servers: coordinator.natsUrl, ...(coordinator.busCredentials === null ? {} : { user: coordinator.busCredentials.user, pass: coordinator.busCredentials.pass, inboxPrefix: inboxPrefix(coordinator.busCredentials.user) }) });
    jsm = await jetstreamManager(nc);
    for (const n of fleet.nodes) {
      // What enrollment does: trust the platform's binpkg key and point binrepos.conf at the binhost (a platform without builder has neither).
      const keys = coordinator.keyring.get(n.platform)?.trusted;
      if (keys !== undefined) {
        for (const key of keys) await trustSigningKey(join(n.root, "etc/portage/gnupg"), key);
        await mkdir(join(n.root, "etc/portage/binrepos.conf"), { recursive: true });
        await writeFile(join(n.root, "etc/portage/binrepos.conf/binfleet.conf"), `[binfleet]\npriority = 10\nsync-uri = ${coordinator.platforms.binhostUrl(n.platform)}\n`);
      }
      // Each node gets its own bus user, limited to its own subjects.
      const credentials = await coordinator.enrollment.enrollNode(n.name, { name: "harness", role: "admin" });
      const config = agentConfig({
        nodeId: n.name,
        nats: { urls: [coordinator.natsUrl], user: credentials.user, pass: credentials.pass },
        coordinatorKeys: { [coordinator.commands.signingKey.keyId]: coordinator.commands.signingKey.publicKeyBase64 },
        root: n.root,
        stateDir: join(dir, "agents", n.name),
        portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: n.root, BINFLEET_SIM_SPEED: o.speed, BINFLEET_SIM_CACHE: simCache } },
        heartbeatSeconds: 5,
        watchSeconds: 2,
      });
      const agent = await Agent.create(config, log.child({ component: "agent", node: n.name }));
      agents.push(agent);
      agentConfigs.push(config);
      agent.start();
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  /** Every message of a stream (on one subject, if given), oldest first. */
  const messages = async (stream: string, subject?: string): Promise<StoredMsg[]> => {
    const info = await jsm.streams.info(stream, subject === undefined ? undefined : { subjects_filter: subject });
    const out: StoredMsg[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const m = await jsm.streams.getMessage(stream, { seq: s }).catch(() => null);
      if (m !== null && (subject === undefined || m.subject === subject)) out.push(m);
    }
    return out;
  };
  const harness: FleetHarness = {
    fleet,
    coordinator,
    agents,
    async firstReports() {
      const out = new Map<string, AgentReport>();
      for (const n of fleet.nodes) {
        const [first] = await messages(streams.reports.name, subjects.report(n.name));
        if (first !== undefined) out.set(n.name, decodeReport(first.data, 8 * 1024 * 1024));
      }
      return out;
    },
    async latestReport(node: string) {
      const m = await jsm.streams.getMessage(streams.reports.name, { last_by_subj: subjects.report(node) }).catch(() => null);
      return m === null ? null : decodeReport(m.data, 8 * 1024 * 1024);
    },
    async untilCurrent(node, what, ms) {
      await until(what, async () => {
        const r = await harness.latestReport(node.name);
        // A resolution in this process costs ~0.2 CPU-s: run it only when the node says it is done.
        return r !== null && r.plan.length === 0 && (await pretend(node.root)).plan.total?.packages === 0 ? true : null;
      }, ms, 250);
    },
    async progress() {
      return (await messages(streams.progress.name)).map((m) => fromBinary(ProgressEventSchema, m.data));
    },
    async commandsFor(node: string) {
      return (await messages(streams.commands.name, subjects.command(node))).map((m) => fromBinary(CommandSchema, fromBinary(SignedCommandSchema, m.data).command));
    },
    async binhostCounts() {
      const out = new Map<string, Map<string, number>>();
      for (const p of coordinator.platforms.all()) {
        const counts = new Map<string, number>();
        const text = await readFile(join(p.root, p.pkgdir, "Packages"), "utf8").catch(() => null);
        if (text !== null) {
          for (const k of heldVariants(p.key, parsePackagesIndex(text))) counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        out.set(p.name, counts);
      }
      return out;
    },
    async changeUse(node) {
      const platform = fleet.platforms.find((p) => p.name === node.platform)!;
      const report = (await harness.latestReport(node.name))!;
      // An installed package with an enabled flag: turning it off removes dependencies, never adds any.
      const target = report.installed.find((p) => p.iuse.some((f) => p.use.includes(f.replace(/^[+-]/, ""))))!;
      const flag = target.iuse.map((f) => f.replace(/^[+-]/, "")).find((f) => target.use.includes(f))!;
      await mkdir(join(node.root, "etc/portage/package.use"), { recursive: true });
      await writeFile(join(node.root, "etc/portage/package.use/zz-e2e"), `${target.cpv.replace(/-[0-9].*$/, "")} -${flag}\n`);
      await coordinator.commands.send(node.name, { case: "report", value: {} });
      const iuse = new Set(target.iuse.map((f) => f.replace(/^[+-]/, "")));
      const wanted = variantKey({ platformKey: platform.key, cpv: target.cpv, use: target.use.filter((f) => iuse.has(f) && f !== flag).sort() });
      await until(`${node.name} current again`, async () => {
        const r = await harness.latestReport(node.name);
        return r !== null && r.plan.length === 0 && (await harness.binhostCounts()).get(platform.name)!.has(wanted) ? true : null;
      }, 180_000, 500);
      return { wanted, iuse };
    },
    busRefusals: () => coordinator.busServerLog().split("\n").filter((l) => /Violation/.test(l)),
    async stopAgent(node) {
      await agents[fleet.nodes.findIndex((n) => n.name === node)]!.shutdown();
    },
    async startAgent(node) {
      const i = fleet.nodes.findIndex((n) => n.name === node);
      agents[i] = await Agent.create(agentConfigs[i]!, log.child({ component: "agent", node }));
      agents[i].start();
    },
    teardown,
  };
  return harness;
}
