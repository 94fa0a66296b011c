import { createHash, randomUUID } from "node:crypto";
import { readFile, readlink, rename, rm, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { type MessageInitShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Atom, type Logger, PLATFORM_VARS, SERVICE_USER_PREFIX, atomMatches, commandConsumerConfig, formatPackagesIndex, inboxPrefix, normalizePlatform, parseAtom, parseCpv, parsePackagesIndex, parsePortageqEnvvar, platformFromPortage, signCommand, streams, subjects } from "@binfleet/shared";
import { type AgentReport, BuildJobSchema, type CommandSchema, HeartbeatSchema, ProgressEventSchema } from "@binfleet/shared/wire";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { execa } from "execa";
import { ApiError, ApiTokens, type Caller, ensureAdminToken } from "./api-access.js";
import { BinhostServer } from "./binhost-server.js";
import { logBusStatus } from "./bus-status.js";
import { type BusCredentials, BusUsers } from "./bus-users.js";
import { createSigningKey, ensureSigningKey, gpgHomeProblem } from "@binfleet/binpkg-keys";
import { BINPKG_KEYS_BUCKET, BinpkgKeyring, signingHome, signingReadiness, signingUid } from "./binpkg-keyring.js";
import { resignPkgdir } from "./binpkg-resign.js";
import { BuildEstimates } from "./build-estimates.js";
import { PkgdirIndexes } from "./pkgdir-index.js";
import { PLATFORM_PINS_BUCKET, PlatformPins } from "./platform-pins.js";
import { QUEUED_WORK_BUCKET, QueuedWork } from "./queued-work.js";
import { planGarbage, prunedIndex } from "./binhost-gc.js";
import { BUILDS_BUCKET, BuildBoard } from "./build-board.js";
import { BuildPlanner, type BuildItem, variantKey } from "./build-planner.js";
import { BUILDS_STREAM, BUILD_LOGS_STREAM, buildLogSubject, buildSubject, ensureBuildQueue, rootLocks, startBuilderWorkers } from "./builder-pool.js";
import { type PlatformConfig, recordKey } from "./builder-worker.js";
import { BuilderRootError, CREATED_PLATFORMS_BUCKET, createBuilderRoot } from "./builder-root.js";
import { type CoordinatorConfig, PlatformConfigSchema, busCaFile } from "./coordinator-config.js";
import { FleetControlServer } from "./fleet-control-server.js";
import { consumeUntilAborted } from "./jetstream-loop.js";
import { readBucket } from "./kv-follow.js";
import { NightlyJob, type PendingUpdatesReport, type PlatformPending } from "./nightly-job.js";
import { installedVariantKey } from "./node-needs.js";
import { NodeRegistry } from "./node-registry.js";
import { POLICY_BUCKET, PolicyStore } from "./policy-store.js";
import { ReportRejectedError, validateReport } from "./report-validation.js";
import { type Preflight, ROLLOUTS_BUCKET, type Rollout, RolloutManager } from "./rollout-manager.js";
import { BuilderTree, portageqIn } from "./builder-tree.js";
import { serialLock } from "./serial-lock.js";
import { SnapshotMirror, treeSnapshotId } from "./snapshot-mirror.js";
import { type CommandSigningKey, commitSigningKey, createNextSigningKey, loadOrCreateSigningKey } from "./signing-key.js";

export type CoordinatorState = "starting" | "running" | "draining" | "stopped";

const PROGRESS_CONSUMER = "coordinator-progress";

type CommandAction = MessageInitShape<typeof CommandSchema>["action"];

/** A variant in the build list with where it stands, for `binfleet plan`. */
export interface PlanEntry {
  readonly id: string;
  readonly item: BuildItem;
  readonly state: "waiting-approval" | "queued" | "running" | "failed" | "succeeded";
}

/** The configured platforms and those `binfleet platforms create` made (a configured name or key wins). */
async function withCreatedPlatforms(config: CoordinatorConfig, kv: KV, log: Logger): Promise<CoordinatorConfig> {
  const created: PlatformConfig[] = [];
  for (const [name, value] of await readBucket(kv)) {
    const parsed = PlatformConfigSchema.safeParse(value);
    if (!parsed.success) {
      log.warn({ platform: name, err: parsed.error.message }, "created platform not understood: ignored");
      continue;
    }
    if (!config.platforms.some((c) => c.name === parsed.data.name || c.key === parsed.data.key)) created.push(parsed.data);
  }
  return created.length === 0 ? config : { ...config, platforms: [...config.platforms, ...created] };
}

/**
 * The coordinator: ingests node reports, keeps one deduplicated build list per
 * platform, queues approved builds on JetStream for builder workers, serves the
 * binhost and the ops API, and tells nodes to `emerge -g` (when covered, or in
 * rollouts). JetStream streams and KV are its only state: on start it rebuilds
 * the plan from the latest report of every node.
 */
export class Coordinator {
  private state: CoordinatorState = "starting";
  private readonly stopping = new AbortController();
  private readonly loops: Promise<unknown>[] = [];
  private readonly closers: (() => unknown)[] = [];
  readonly planner = new BuildPlanner();
  readonly registry: NodeRegistry;
  readonly board: BuildBoard;
  readonly rollouts: RolloutManager;
  private policyStore: PolicyStore | null = null;
  private readonly notified = new Map<string, string>();
  /** The snapshot each node behind was last told to sync to. */
  private readonly toldToSync = new Map<string, string>();
  private readonly platformByKey: Map<string, PlatformConfig>;
  /** Size of each binary on the binhosts, by variant key (for rollout pre-flight). */
  private readonly binarySizes = new Map<string, number>();
  private commandSeq = BigInt(Date.now()) * 1000n;
  /** Distinguishes this process's workers from those of a coordinator that died. */
  private readonly instance = randomUUID().slice(0, 8);
  private api: FleetControlServer | null = null;
  private nightly: NightlyJob | null = null;
  private readonly counters = { installedBinary: 0, compiledLocally: 0, builds: 0, buildSeconds: 0 };

  private constructor(
    /** The configuration, with the platforms made by `binfleet platforms create` (see `config`). */
    private current: CoordinatorConfig,
    private readonly log: Logger,
    private readonly embedded: NatsServer | null,
    private readonly busUsers: BusUsers | null,
    /** The coordinator's own bus credentials (tools and tests that read the bus as it does), if any. */
    readonly busCredentials: BusCredentials | null,
    /** The bus the coordinator is on (the embedded server's URL when it runs one). */
    readonly natsUrl: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly builds: KV,
    private readonly policyKv: KV,
    private readonly rolloutKv: KV,
    /** Each platform's binpkg signing keys (by platform name). */
    readonly binpkgKeys: BinpkgKeyring,
    /** Build work queued per platform, for the builder slots. */
    private readonly queuedWork: QueuedWork,
    /** The platform each node is on. */
    private readonly pins: PlatformPins,
    /** Platforms made by `binfleet platforms create`, by name: served and built like configured ones. */
    private readonly createdPlatforms: KV,
    private commandKey: CommandSigningKey,
    readonly binhost: BinhostServer,
    private readonly tokens: ApiTokens,
    /** The repository snapshot nodes sync from, when the coordinator serves one. */
    readonly mirror: SnapshotMirror | null,
  ) {
    this.platformByKey = new Map(current.platforms.map((p) => [p.key, p]));
    for (const p of current.platforms) this.trees.set(p.key, new BuilderTree(p.root, portageqIn(current.portage, p.root)));
    this.registry = new NodeRegistry(current.staleAfterSeconds * 1000);
    this.board = new BuildBoard(log);
    this.rollouts = new RolloutManager(
      {
        nodesOf: (pk) => this.registry.all().filter((n) => pk === "" || n.platformKey === pk).map((n) => n.nodeId),
        preflight: (node) => this.preflight(node),
        online: (node) => this.registry.online(node, Date.now()),
        // A node behind the fleet's snapshot was told to sync; it is updated once it reports from the new tree.
        ready: (node) => this.planner.nodeCovered(node) && !this.snapshotBehind(this.registry.get(node)?.snapshotId ?? ""),
        sendUpdate: (node, rolloutId, id) => this.sendCommand(node, { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [], rolloutId } }, id),
        save: async (r) => void (await this.rolloutKv.put(r.id, JSON.stringify(r))),
        now: () => Date.now(),
      },
      log.child({ component: "rollouts" }),
      current.rolloutNodeTimeoutSeconds * 1000,
    );
  }

  static async create(config: CoordinatorConfig, log: Logger): Promise<Coordinator> {
    const opened: (() => Promise<unknown>)[] = [];
    try {
      let embedded: NatsServer | null = null;
      let users: BusUsers | null = null;
      let urls = config.nats.urls;
      let credentials: BusCredentials | null = config.nats.user === undefined ? null : { user: config.nats.user, pass: config.nats.pass ?? "" };
      if (urls.length === 0) {
        // The embedded server knows only the coordinator and enrolled nodes, each limited to its own subjects.
        users = await BusUsers.load(config.stateDir);
        credentials = users.coordinator;
        embedded = await startNatsServer({
          dir: join(config.stateDir, "nats"),
          config: users.serverConfig(),
          ...(config.nats.embeddedPort === 0 ? {} : { port: config.nats.embeddedPort }),
          ...(config.nats.tls === undefined ? {} : { tls: config.nats.tls }),
        });
        opened.push(() => embedded!.stop());
        urls = [embedded.url];
        log.info({ url: embedded.url }, "embedded nats-server started");
      }
      const nc = await connect({
        servers: urls,
        name: "binfleet-coordinator",
        // An external cluster may be down for a while: wait for it. The embedded server is up, so a
        // failure to reach it (a TLS certificate that does not verify) is an error to report now.
        waitOnFirstConnect: embedded === null,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Replies (JetStream acks, pulled messages) come to the user's own inbox, which its permissions allow.
        ...(credentials === null ? {} : { user: credentials.user, pass: credentials.pass, inboxPrefix: inboxPrefix(credentials.user) }),
        ...(busCaFile(config) === undefined ? {} : { tls: { caFile: busCaFile(config)! } }),
      });
      opened.push(() => nc.close());
      void logBusStatus(nc, log);
      const jsm = await jetstreamManager(nc, { timeout: 10_000 });
      const replicas = config.nats.replicas;
      for (const s of [...Object.values(streams), BUILDS_STREAM, BUILD_LOGS_STREAM]) {
        const cfg = { ...s, subjects: [...s.subjects], num_replicas: replicas };
        await jsm.streams.add(cfg).catch(async () => jsm.streams.update(s.name, cfg));
      }
      const kvm = new Kvm(nc);
      const builds = await kvm.create(BUILDS_BUCKET, { history: 5, replicas });
      const policyKv = await kvm.create(POLICY_BUCKET, { history: 5, replicas });
      const rolloutKv = await kvm.create(ROLLOUTS_BUCKET, { history: 5, replicas });
      const binpkgKeys = await BinpkgKeyring.open(await kvm.create(BINPKG_KEYS_BUCKET, { history: 5, replicas }));
      opened.push(async () => binpkgKeys.stop());
      const queuedWork = await QueuedWork.open(await kvm.create(QUEUED_WORK_BUCKET, { history: 1, replicas }));
      opened.push(async () => queuedWork.stop());
      const pins = await PlatformPins.open(await kvm.create(PLATFORM_PINS_BUCKET, { history: 1, replicas }), (err) => log.warn({ err: err.message }, "platform pins not stored"));
      opened.push(() => pins.flush());
      const createdPlatforms = await kvm.create(CREATED_PLATFORMS_BUCKET, { history: 5, replicas });
      config = await withCreatedPlatforms(config, createdPlatforms, log);
      const key = await loadOrCreateSigningKey(config.stateDir);
      const tokens = new ApiTokens(config.api.tokens.length > 0 ? config.api.tokens : [{ name: "admin", role: "admin", token: await ensureAdminToken(config.stateDir) }]);
      // The coordinator exists only after the server starts: metrics read it through this late binding.
      const self: { c: Coordinator | null } = { c: null };
      const binhost = await BinhostServer.start({
        host: config.http.host,
        port: config.http.port,
        platforms: config.platforms.map((p) => ({ name: p.name, pkgdir: join(p.root, p.pkgdir), ...(p.auth === undefined ? {} : { auth: p.auth }) })),
        log,
        metrics: () => self.c?.metrics() ?? "",
        healthy: () => self.c?.status() === "running",
        ...(config.http.tls === undefined ? {} : { tls: config.http.tls }),
        distdirs: config.http.distfiles ? config.platforms.map((p) => join(p.root, p.distdir)) : [],
      });
      opened.push(() => binhost.close());
      const mirror = config.mirror.enabled
        ? await SnapshotMirror.start({ stateDir: config.stateDir, repo: config.mirror.repo, host: config.mirror.host, port: config.mirror.port, publicHost: config.mirror.publicHost, log })
        : null;
      if (mirror !== null) opened.push(() => mirror.stop());
      self.c = new Coordinator(config, log, embedded, users, credentials, urls[0]!, nc, jetstream(nc), jsm, builds, policyKv, rolloutKv, binpkgKeys, queuedWork, pins, createdPlatforms, key, binhost, tokens, mirror);
      return self.c;
    } catch (err) {
      for (const close of opened.reverse()) await close().catch(() => undefined);
      throw err;
    }
  }

  /** What the embedded nats-server printed (empty with an external cluster), refused operations included. */
  busServerLog(): string {
    return this.embedded?.log() ?? "";
  }

  /** The configuration, with the platforms made by `binfleet platforms create` since. */
  get config(): CoordinatorConfig {
    return this.current;
  }

  status(): CoordinatorState {
    return this.state;
  }

  get policy(): PolicyStore {
    if (this.policyStore === null) throw new Error("coordinator not started");
    return this.policyStore;
  }

  /** The address of the ops API (host:port), once started. */
  get apiAddress(): string {
    if (this.api === null) throw new Error("coordinator not started");
    return this.api.address;
  }

  /** The URL nodes use for a platform's binhost (binrepos.conf sync-uri). */
  binhostUrl(platformName: string): string {
    return `${this.config.http.publicUrl ?? this.binhost.url}/binhost/${platformName}`;
  }

  /** The PEM nodes verify the bus's TLS certificate with ("" when the bus is not TLS). */
  async busCaPem(): Promise<string> {
    const file = busCaFile(this.config);
    return file === undefined ? "" : readFile(file, "utf8");
  }

  /** The GENTOO_MIRRORS entry for the builders' distfiles, or null when they are not served. */
  distfilesMirror(): string | null {
    return this.config.http.distfiles ? (this.config.http.publicUrl ?? this.binhost.url) : null;
  }

  /** A platform by name or key, or null. */
  platform(nameOrKey: string): PlatformConfig | null {
    return this.platformByKey.get(nameOrKey) ?? this.config.platforms.find((p) => p.name === nameOrKey) ?? null;
  }

  /** Resolves a platform given by name or key to its key ("" stays ""); unknown names are an API error. */
  platformKey(nameOrKey: string): string {
    if (nameOrKey === "") return "";
    const p = this.platform(nameOrKey);
    if (p !== null) return p.key;
    if (this.planner.platformKeys().includes(nameOrKey)) return nameOrKey;
    throw new ApiError("not-found", `unknown platform '${nameOrKey}'`);
  }

  authorize(metadata: Parameters<ApiTokens["authorize"]>[0], need: Parameters<ApiTokens["authorize"]>[1]): Caller {
    return this.tokens.authorize(metadata, need);
  }

  /** The key commands are signed with now: what enrollment gives nodes to trust. */
  get signingKey(): CommandSigningKey {
    return this.commandKey;
  }

  /**
   * Rotates the command-signing key without re-enrolling anyone: every known node is sent, in
   * order, "trust {old, new}" signed with the old key, then the coordinator signs with the new key,
   * starting with "trust {new}" (the old key retired). Nodes take their commands in order, so each
   * trusts the new key before it meets it; an offline node gets both when it returns.
   */
  async rotateCommandKey(caller: Caller): Promise<{ keyId: string; previousKeyId: string; nodes: string[] }> {
    return this.enrolling(async () => {
      const old = this.commandKey;
      const next = await createNextSigningKey(this.config.stateDir);
      const nodes = [...new Set([...this.registry.all().map((n) => n.nodeId), ...(this.busUsers?.nodes() ?? [])])].sort();
      for (const node of nodes) await this.sendCommand(node, { case: "trustKeys", value: { keys: { [old.keyId]: old.publicKeyBase64, [next.keyId]: next.publicKeyBase64 } } });
      await commitSigningKey(this.config.stateDir);
      this.commandKey = next;
      for (const node of nodes) await this.sendCommand(node, { case: "trustKeys", value: { keys: { [next.keyId]: next.publicKeyBase64 } } });
      this.log.info({ by: caller.name, role: caller.role, keyId: next.keyId, previousKeyId: old.keyId, nodes: nodes.length }, "command key rotated");
      return { keyId: next.keyId, previousKeyId: old.keyId, nodes };
    });
  }

  /**
   * Rotates a platform's binpkg signing key without stranding a node: its nodes are told to trust
   * old and new keys, builders sign with the new one, every binary in PKGDIR is signed again with
   * it (gpkg-sign, emaint binhost --fix), and only then are nodes told to trust the new key alone.
   * Commands reach each node in order, so none meets a binary signed with a key it does not trust
   * yet; an offline node gets every step when it returns. Should gpkg-sign refuse a package, the
   * old key stays trusted (running the rotation again finishes it).
   */
  async rotateBinpkgKey(platform: string, caller: Caller): Promise<{ fingerprint: string; previous: string; nodes: string[]; resigned: number; failed: readonly string[]; retired: boolean }> {
    const p = this.platform(platform);
    if (p === null) throw new ApiError(platform === "" ? "invalid-argument" : "not-found", platform === "" ? "which platform? (name or key)" : `no platform ${platform}`);
    return this.rotatingBinpkgKeys(async () => {
      const before = this.binpkgKeys.get(p.name)!;
      const next = await createSigningKey(signingHome(p.root), signingUid(p.name));
      const previous = before.current;
      const both = [...before.trusted.filter((k) => k.fingerprint !== next.fingerprint), next];
      const told = new Set<string>();
      // The platform's nodes, and enrolled nodes not heard from yet (their bundle named the keys
      // trusted then): a node on another platform refuses the keys, named for this one. Asked
      // again at each step, so a node enrolled meanwhile is told too.
      const tell = async (keys: readonly { fingerprint: string; publicKey: string }[]): Promise<void> => {
        const reported = new Set(this.registry.all().map((n) => n.nodeId));
        const nodes = [...this.registry.all().filter((n) => n.platformKey === p.key).map((n) => n.nodeId), ...(this.busUsers?.nodes() ?? []).filter((n) => !reported.has(n))];
        for (const node of nodes.sort()) {
          await this.tellBinpkgKeys(node, p, keys);
          told.add(node);
        }
      };
      await this.binpkgKeys.put(p.name, { current: previous, trusted: both });
      await tell(both);
      await this.binpkgKeys.put(p.name, { current: next.fingerprint, trusted: both });
      // In the root's turn: no local build signs with the old key while its packages are re-signed.
      const r = await this.rootLock(p.root)(() => resignPkgdir({ portage: this.config.portage, root: p.root, pkgdir: p.pkgdir, fingerprint: next.fingerprint, log: this.log }));
      await this.refreshBinhost(p);
      const retired = r.failed.length === 0;
      if (retired) {
        await this.binpkgKeys.put(p.name, { current: next.fingerprint, trusted: [next] });
        await tell([next]);
      }
      const nodes = [...told].sort();
      this.log.info({ by: caller.name, role: caller.role, platform: p.name, fingerprint: next.fingerprint, previous, nodes: nodes.length, resigned: r.resigned, failed: r.failed.length, retired }, "binpkg key rotated");
      return { fingerprint: next.fingerprint, previous, nodes, resigned: r.resigned, failed: r.failed, retired };
    });
  }

  /** The platform a node's refused reports are for, when it reports another than it is pinned to. */
  platformChange(nodeId: string): string | undefined {
    return this.platformChanges.get(nodeId);
  }

  /** Pins a node to the platform its refused reports are for, and asks it for a report now. */
  async acceptPlatform(nodeId: string, caller: Caller): Promise<{ platformKey: string; previous: string }> {
    const changed = this.platformChanges.get(nodeId);
    if (changed === undefined) throw new ApiError("failed-precondition", `${nodeId} reports no other platform than the one it is on`);
    const previous = this.pins.get(nodeId)?.platformKey ?? "";
    this.pins.set(nodeId, changed, caller.name);
    await this.pins.flush();
    this.platformChanges.delete(nodeId);
    this.log.info({ by: caller.name, role: caller.role, node: nodeId, platform: changed, previous }, "platform change accepted");
    await this.sendCommand(nodeId, { case: "report", value: {} });
    return { platformKey: changed, previous };
  }

  /**
   * Enrolls a node: its own bus user (limited to its subjects; on an external cluster, its name
   * only), its command consumer, and what its agent and Portage must trust. Enrolling again
   * returns the same credentials.
   */
  async enrollNode(node: string, caller: Caller): Promise<{ credentials: BusCredentials; urls: string[] }> {
    // Service users (the coordinator, builders) are named so: a node must not share their user or inbox.
    if (node.startsWith(SERVICE_USER_PREFIX)) throw new ApiError("invalid-argument", `node ids starting with '${SERVICE_USER_PREFIX}' are reserved for binfleet's own bus users`);
    // An external cluster's users are its admin's (`bus-authorization` prints them): the bundle
    // names the node's user, and the node is given its password there.
    const credentials = this.busUsers === null ? { user: node, pass: "" } : await this.addBusUser("node's", (users) => users.enroll(node));
    await this.jsm.consumers.add(streams.commands.name, { ...commandConsumerConfig(node), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All }).catch(() => undefined);
    this.log.info({ by: caller.name, role: caller.role, node }, "node enrolled");
    return { credentials, urls: this.busPublicUrls() };
  }

  /**
   * Enrolls a builder process (`binfleet-coordinator builder` on a build host): a bus user of its
   * own, limited to taking build jobs (builderPermissions). Enrolling again returns the same credentials.
   */
  async enrollBuilder(name: string, caller: Caller): Promise<{ credentials: BusCredentials; urls: string[] }> {
    const credentials = await this.addBusUser("builder's", (users) => users.enrollBuilder(name));
    this.log.info({ by: caller.name, role: caller.role, builder: name, user: credentials.user }, "builder enrolled");
    return { credentials, urls: this.busPublicUrls() };
  }

  private busPublicUrls(): string[] {
    return [this.config.nats.publicUrl ?? this.natsUrl];
  }

  /** Issues a user on the embedded server and has the server take it. */
  private async addBusUser(whose: string, issue: (users: BusUsers) => Promise<BusCredentials>): Promise<BusCredentials> {
    const users = this.busUsers;
    const server = this.embedded;
    if (users === null || server === null) {
      throw new ApiError("failed-precondition", `the bus is an external cluster: add the ${whose} user to its authorization (binfleet-coordinator bus-authorization prints it)`);
    }
    // One at a time: each enrollment rewrites the users file. Enrollments arriving together share
    // the server's next reload (its config is taken when the reload starts, so it has them all).
    const credentials = await this.enrolling(() => issue(users));
    this.nextReload ??= this.reloading.catch(() => undefined).then(() => {
      this.nextReload = null;
      return (this.reloading = server.reload(users.serverConfig()));
    });
    await this.nextReload;
    return credentials;
  }

  /** Prometheus text exposition. */
  metrics(): string {
    const now = Date.now();
    const out: string[] = [];
    const gauge = (name: string, help: string, type: "gauge" | "counter", rows: [string, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([labels, v]) => `${name}${labels} ${v}`));
    };
    const byState = new Map<string, number>();
    for (const n of this.registry.all()) {
      const k = `{platform="${n.platformKey}",state="${this.registry.state(n, now)}"}`;
      byState.set(k, (byState.get(k) ?? 0) + 1);
    }
    gauge("binfleet_nodes", "Nodes by platform and state.", "gauge", [...byState]);
    const plan = new Map<string, number>();
    for (const pk of this.planner.platformKeys()) for (const e of this.plan(pk)) plan.set(`{platform="${pk}",state="${e.state}"}`, (plan.get(`{platform="${pk}",state="${e.state}"}`) ?? 0) + 1);
    gauge("binfleet_build_list", "Variants some node would compile and the binhost lacks, by build state.", "gauge", [...plan]);
    gauge("binfleet_builds_succeeded_total", "Variants built (or found built) since start.", "counter", [["", this.counters.builds]]);
    gauge("binfleet_build_seconds_sum", "Wall time of the builds counted in binfleet_builds_succeeded_total.", "counter", [["", this.counters.buildSeconds]]);
    const installs = this.counters.installedBinary + this.counters.compiledLocally;
    gauge("binfleet_node_installs_total", "Packages nodes installed in binfleet commands, by kind.", "counter", [
      ['{kind="binary"}', this.counters.installedBinary],
      ['{kind="compiled"}', this.counters.compiledLocally],
    ]);
    gauge("binfleet_cache_hit_ratio", "Binary installs / all installs on nodes since start.", "gauge", [["", installs === 0 ? 0 : this.counters.installedBinary / installs]]);
    return `${out.join("\n")}\n`;
  }

  async start(): Promise<void> {
    const requireApproval = (pk: string): boolean => this.platformByKey.get(pk)?.requireApproval ?? this.config.policy.requireApproval;
    this.policyStore = await PolicyStore.open(this.policyKv, { configHolds: this.config.policy.hold, requireApproval, autoApprove: this.config.policy.autoApprove });
    this.closers.push(() => this.policyStore!.stop());
    await this.board.follow(this.builds);
    this.closers.push(() => this.board.stop());
    for (const r of this.board.all()) this.estimates.observe(r);
    // A build finished, by this process's workers or a builder process elsewhere: take it in.
    this.closers.push(
      this.board.subscribe((r) => {
        this.estimates.observe(r);
        this.queueChanged();
        const p = r.state === "succeeded" ? this.platformByKey.get(r.key.slice(0, r.key.indexOf("|"))) : undefined;
        if (p !== undefined) void this.built(p, r.key);
      }),
    );
    this.closers.push(() => clearTimeout(this.queuedTimer ?? undefined));
    for (const p of this.config.platforms) await this.preparePlatform(p);
    const saved = [...(await readBucket(this.rolloutKv)).values()] as Rollout[];
    const heartbeats = this.nc.subscribe("binfleet.heartbeat.*", { callback: (err, m) => void (err === null && this.heartbeat(m.subject, m.data)) });
    this.closers.push(() => heartbeats.unsubscribe());
    this.loops.push(this.ingestLoop(), this.progressLoop());
    this.startBuilders(this.config);
    await this.rollouts.load(saved);
    const ticker = setInterval(() => void this.rollouts.tick(), 2000);
    this.closers.push(() => clearInterval(ticker));
    this.nightly = new NightlyJob(
      {
        sync: (pk) => this.syncTrees(pk),
        settled: (node, since) => (this.registry.get(node)?.receivedAt ?? 0) >= since || !this.registry.online(node, Date.now()),
        fetch: (pk) => this.fetchDistfiles(pk),
        pending: (pk) => this.pending(pk),
      },
      this.log.child({ component: "nightly" }),
      { at: this.config.schedule.nightly, webhook: this.config.schedule.webhook, reportWaitMs: this.config.schedule.reportWaitSeconds * 1000, signal: this.stopping.signal },
    );
    this.nightly.schedule();
    this.closers.push(() => this.nightly?.stop());
    this.api = await FleetControlServer.start(this, this.log.child({ component: "api" }));
    this.state = "running";
    this.log.info({ platforms: this.config.platforms.map((p) => p.name), binhost: this.binhost.url, api: this.api.address }, "coordinator started");
  }

  /** Reads a platform's binhost and makes sure it has a signing key. */
  private async preparePlatform(p: PlatformConfig): Promise<void> {
    await this.refreshBinhost(p);
    await this.ensureSigningKey(p.name, p.root);
  }

  /**
   * Portage verifies binpkg signatures by default: a platform's builds are signed with a key of its
   * builder root, recorded in the keyring (builders trust the keys themselves as they take their
   * first job: Portage verifies each package it puts in PKGDIR).
   */
  private async ensureSigningKey(platform: string, root: string): Promise<void> {
    if (this.binpkgKeys.get(platform) !== undefined) return;
    const key = await ensureSigningKey(signingHome(root), signingUid(platform));
    await this.binpkgKeys.put(platform, { current: key.fingerprint, trusted: [key] });
  }

  /** Tells a node which binhost keys to trust for a platform (and, when given, its binhost URL). */
  private tellBinpkgKeys(node: string, p: PlatformConfig, keys: readonly { fingerprint: string; publicKey: string }[], binhostUrl = ""): Promise<void> {
    return this.sendCommand(node, { case: "trustBinpkgKeys", value: { platformKey: p.key, keys: keys.map((k) => ({ fingerprint: k.fingerprint, publicKey: k.publicKey })), binhostUrl } });
  }

  /** Builder slots for the given platforms, in this process. */
  private startBuilders(config: CoordinatorConfig): void {
    this.loops.push(
      ...startBuilderWorkers({ config, js: this.js, jsm: this.jsm, builds: this.builds, policy: this.policy, keyring: this.binpkgKeys, signing: this.signing, queued: this.queuedWork, indexes: this.indexes, instance: this.instance, signal: this.stopping.signal, log: this.log, rootLock: this.rootLock }),
    );
  }

  /**
   * Makes a builder for a platform no builder serves, from a node on it (`binfleet platforms
   * create`): a builder root from the first configured root (the site's configuration) with the
   * node's settings, checked by asking Portage there for its platform; a signing key; then the
   * platform is served, built and kept (bucket binfleet-platforms) at once. Its nodes' needs are
   * queued, and each node is told its binhost and the key to trust (it had none).
   */
  async createPlatform(name: string, fromNode: string, caller: Caller): Promise<{ platform: PlatformConfig; nodes: string[] }> {
    return this.creatingPlatforms(async () => {
      const n = this.registry.get(fromNode);
      if (n === undefined || n.platform === undefined) throw new ApiError("not-found", `no report from ${fromNode}`);
      const served = this.platformByKey.get(n.platformKey);
      if (served !== undefined) throw new ApiError("failed-precondition", `${fromNode}'s platform ${n.platformKey} is built already, as ${served.name}`);
      if (this.platform(name) !== null) throw new ApiError("failed-precondition", `a platform ${name} exists`);
      const template = this.config.platforms[0];
      if (template === undefined) throw new ApiError("failed-precondition", "no builder root to copy the site's Portage configuration from: configure one platform first");
      const root = join(this.config.stateDir, "builders", name);
      const unusable = gpgHomeProblem(signingHome(root));
      const refused = (why: string) => new ApiError("failed-precondition", `cannot make a builder root for ${n.platformKey} from ${fromNode}: ${why}`);
      if (unusable !== null) throw refused(unusable);
      try {
        await createBuilderRoot({ template: template.root, dir: root, settings: normalizePlatform({ ...n.platform }), from: fromNode });
      } catch (err) {
        throw err instanceof BuilderRootError ? refused(err.message) : err;
      }
      try {
        // What Portage in the new root says its platform is must be the node's, or its binaries would not fit.
        const r = await portageqIn(this.config.portage, root)(["envvar", ...PLATFORM_VARS]);
        const made = platformFromPortage(parsePortageqEnvvar(PLATFORM_VARS, r.stdout), await readlink(join(root, "etc/portage/make.profile")));
        if (made.key !== n.platformKey) throw refused(`Portage in the new root reports platform ${made.key} (${made.name}), not ${n.platformKey}`);
        await this.ensureSigningKey(name, root);
      } catch (err) {
        await rm(root, { recursive: true, force: true });
        throw err;
      }
      const platform = PlatformConfigSchema.parse({ name, key: n.platformKey, root });
      await this.createdPlatforms.put(name, JSON.stringify({ name, key: platform.key, root }));
      const nodes = await this.addPlatform(platform);
      this.log.info({ by: caller.name, role: caller.role, platform: name, key: platform.key, root, fromNode, nodes: nodes.length }, "platform created");
      return { platform, nodes };
    });
  }

  /** Serves and builds a platform made while running; returns its nodes, which are told about it. */
  private async addPlatform(p: PlatformConfig): Promise<string[]> {
    this.current = { ...this.current, platforms: [...this.current.platforms, p] };
    this.platformByKey.set(p.key, p);
    this.trees.set(p.key, new BuilderTree(p.root, portageqIn(this.config.portage, p.root)));
    this.binhost.addPlatform({ name: p.name, pkgdir: join(p.root, p.pkgdir) }, this.config.http.distfiles ? join(p.root, p.distdir) : null);
    await this.preparePlatform(p);
    this.startBuilders({ ...this.config, platforms: [p], builderSlots: 0 });
    const keys = this.binpkgKeys.get(p.name)!.trusted;
    const nodes = this.registry.all().filter((n) => n.platformKey === p.key).map((n) => n.nodeId).sort();
    // Planned before without a tree to check against: planned again from nothing, so every
    // variant they want is added, and queued.
    for (const node of nodes) this.planner.updateNode({ nodeId: node, platformKey: p.key, wants: [] });
    for (const node of nodes) {
      await this.replan(node);
      await this.tellBinpkgKeys(node, p, keys, this.binhostUrl(p.name));
    }
    return nodes;
  }

  /** Stops taking work, lets running builds finish their step, closes everything in reverse order. */
  async shutdown(): Promise<void> {
    if (this.state === "stopped" || this.state === "draining") return;
    this.state = "draining";
    await this.api?.close();
    this.stopping.abort();
    for (const close of this.closers.reverse()) close();
    await Promise.allSettled(this.loops);
    await this.rollouts.tick();
    await this.binhost.close();
    await this.mirror?.stop();
    await this.pins.flush().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "platform pins not stored"));
    this.queuedWork.stop();
    this.binpkgKeys.stop();
    await this.nc.drain().catch(() => this.nc.close());
    await this.embedded?.stop();
    this.state = "stopped";
    this.log.info({}, "coordinator stopped");
  }

  /** Re-reads a platform's Packages: the variants it holds never enter the build list. */
  private async refreshBinhost(p: PlatformConfig): Promise<void> {
    let keys: string[] = [];
    try {
      keys = ((await this.indexes.held(p))?.variants ?? []).map(({ key, size }) => {
        this.binarySizes.set(key, size);
        return key;
      });
    } catch (err) {
      this.log.warn({ platform: p.name, err: (err as Error).message }, "binhost index unreadable: treating it as empty");
    }
    this.planner.setHeld(p.key, keys);
  }

  private ingestLoop(): Promise<void> {
    return consumeUntilAborted({
      signal: this.stopping.signal,
      log: this.log,
      what: "reports",
      // The stream holds only reports; no subject filter (filter_subjects needs nats-server 2.10, Debian 12 ships 2.9).
      open: async () => (await this.js.consumers.get(streams.reports.name, { deliver_policy: DeliverPolicy.LastPerSubject })).consume(),
      // When JetStream stored it, not when this process read it: a restarted coordinator replaying
      // the stream must not take a node that went away long ago for alive (and send it updates).
      handle: (m) => this.ingest(m.subject, m.data, Math.min(Date.now(), m.time.getTime())),
    });
  }

  /** Accepts or rejects one report, received at `receivedAt` (ms); never throws for bad input. */
  async ingest(subject: string, data: Uint8Array, receivedAt: number = Date.now()): Promise<void> {
    let report;
    try {
      report = validateReport(subject, data, this.config.maxReportBytes);
    } catch (err) {
      if (err instanceof ReportRejectedError) {
        this.log.warn({ reason: err.reason, node: err.nodeId, subject, bytes: data.length, detail: err.message }, "report rejected");
        return;
      }
      throw err;
    }
    const prev = this.registry.get(report.nodeId);
    if (prev !== undefined && prev.reportedAt > Number(report.generatedAtUnixMs)) return;
    const platformKey = report.platform!.key;
    // A node is on the platform of its first report: one that reports another platform adds no
    // variants for it until an admin accepts the change (a profile upgrade, a new -march).
    const pin = this.pins.get(report.nodeId);
    if (pin === undefined) this.pins.set(report.nodeId, platformKey, "first report");
    else if (pin.platformKey !== platformKey) {
      this.platformChanges.set(report.nodeId, platformKey);
      this.log.warn({ reason: "platform-changed", node: report.nodeId, pinned: pin.platformKey, reported: platformKey, detail: `binfleet accept-platform ${report.nodeId} to accept it` }, "report rejected");
      return;
    }
    this.platformChanges.delete(report.nodeId);
    this.registry.report(report, receivedAt);
    if (!this.platformByKey.has(platformKey)) this.log.warn({ node: report.nodeId, platform: platformKey }, "report from a platform without a builder: nodes keep compiling");
    const added = await this.replan(report.nodeId);
    this.log.info({ node: report.nodeId, platform: platformKey, pending: this.registry.get(report.nodeId)!.pending.length, newVariants: added }, "report accepted");
    await this.maybeNotify(report.nodeId);
    void this.rollouts.tick();
  }

  /** Re-plans one node from its latest report; queues the variants it added. Returns how many it added. */
  private async replan(nodeId: string, nonce = ""): Promise<number> {
    const n = this.registry.get(nodeId)!;
    // A node behind the fleet's snapshot plans against other ebuilds than the builders have: its
    // needs are not build input until it syncs (it is told to, once per snapshot).
    if (this.snapshotBehind(n.snapshotId)) {
      this.planner.updateNode({ nodeId, platformKey: n.platformKey, wants: [] });
      if (this.toldToSync.get(nodeId) !== this.mirror!.snapshotId) {
        this.toldToSync.set(nodeId, this.mirror!.snapshotId);
        await this.sendCommand(nodeId, { case: "sync", value: { snapshotId: this.mirror!.snapshotId } });
      }
      return 0;
    }
    // Held packages are never built: the node compiles them, and they do not block its update.
    // Nor is anything the builders' tree lacks: a report names packages, it does not make them.
    const tree = this.trees.get(n.platformKey);
    const wants = [];
    for (const p of n.pending) {
      if (p.binary || this.policy.holdFor(n.platformKey, p.cpv) !== null) continue;
      if (tree !== undefined && !(await tree.has(p.cpv))) {
        this.log.warn({ node: nodeId, platform: n.platformKey, cpv: p.cpv }, "package not in the builders' tree: not built");
        continue;
      }
      wants.push(p);
    }
    const { added } = this.planner.updateNode({ nodeId, platformKey: n.platformKey, wants });
    await this.enqueueNew(n.platformKey, added, nonce);
    return added.length;
  }

  /** Whether a node's snapshot is not the one the mirror serves (never, without a mirror). */
  snapshotBehind(snapshotId: string): boolean {
    return this.mirror !== null && this.mirror.snapshotId !== "" && snapshotId !== this.mirror.snapshotId;
  }

  /** Queues the given variants that may be built now, in build-list order (dependencies first). */
  private async enqueueNew(platformKey: string, keys: readonly string[], nonce = ""): Promise<void> {
    const platform = this.platformByKey.get(platformKey);
    if (platform === undefined || keys.length === 0) return;
    for (const item of this.planner.inBuildOrder(platformKey, keys)) {
      if (!this.policy.needsApproval(platformKey, item.variant.cpv, item.key)) await this.enqueue(platform, item, nonce);
    }
  }

  private async enqueue(p: PlatformConfig, item: BuildItem, nonce: string): Promise<void> {
    const job = create(BuildJobSchema, {
      id: recordKey(item.key),
      platformKey: p.key,
      cpv: item.variant.cpv,
      use: [...item.variant.use],
      useDisabled: [...(item.variant.disabled ?? [])],
      useComplete: item.variant.disabled !== undefined,
      attempt: 1,
      wantedBy: [...item.wantedBy],
    });
    await ensureBuildQueue(this.jsm, p.name, this.config.buildLeaseSeconds);
    // The variant key as message id: JetStream drops a second enqueue of the same variant (the nonce
    // lets an approval or an unhold queue again a variant that was dropped while held).
    await this.js.publish(buildSubject(p.name), toBinary(BuildJobSchema, job), { msgID: createHash("sha256").update(`${item.key}${nonce}`).digest("hex") });
    this.log.info({ variant: item.key }, "build queued");
    this.queueChanged();
  }

  /**
   * Publishes the work queued per platform soon. Changes coming together are published once: the
   * figures walk every platform's build list (all of them, since one build's duration changes the
   * estimates of every platform), which on a first night at 10,000 nodes is 100,000s of variants.
   */
  private queueChanged(): void {
    this.queuedTimer ??= setTimeout(() => {
      this.queuedTimer = null;
      void this.publishQueuedWork().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "queued work not published"));
    }, 500);
  }

  /** Each platform's queued variants and their estimated build time: builder slots serve the most loaded first. */
  private async publishQueuedWork(): Promise<void> {
    for (const p of this.config.platforms) {
      const queued = this.planner.buildList(p.key).filter((item) => this.stateOf(p.key, item) === "queued");
      await this.queuedWork.publish(p.name, { seconds: Math.round(queued.reduce((s, item) => s + this.estimates.estimate(item.variant.cpv), 0)), jobs: queued.length });
    }
  }

  /** The build list of a platform, each variant with its state. */
  plan(platformKey: string): PlanEntry[] {
    return this.planner.buildList(platformKey).map((item) => ({ id: recordKey(item.key), item, state: this.stateOf(platformKey, item) }));
  }

  /** Where a variant of the build list stands: its build's state, or whether it waits for approval or a builder. */
  private stateOf(platformKey: string, item: BuildItem): PlanEntry["state"] {
    const r = this.board.get(item.key);
    if (r !== undefined && r.state !== "succeeded") return r.state;
    if (this.policy.needsApproval(platformKey, item.variant.cpv, item.key)) return "waiting-approval";
    return r?.state === "succeeded" ? "succeeded" : "queued";
  }

  /**
   * Approves variants of the build list, by id (or an unambiguous prefix of 8+ hex digits)
   * or by atom (every variant it matches), or all waiting ones of a platform; queues them.
   */
  async approve(selectors: readonly string[], all: boolean, platformKey: string, caller: Caller): Promise<string[]> {
    const keys = platformKey === "" ? this.planner.platformKeys() : [platformKey];
    const waiting = keys.flatMap((pk) => this.plan(pk)).filter((e) => e.state === "waiting-approval");
    let chosen: typeof waiting;
    if (all) {
      if (platformKey === "") throw new ApiError("invalid-argument", "--all needs --platform");
      chosen = waiting;
    } else {
      if (selectors.length === 0) throw new ApiError("invalid-argument", "name variant ids or atoms to approve, or --all --platform P");
      chosen = [];
      for (const s of selectors) {
        let match: typeof waiting;
        if (/^[0-9a-f]{8,40}$/.test(s)) {
          match = waiting.filter((e) => e.id.startsWith(s));
          if (match.length > 1) throw new ApiError("invalid-argument", `variant id prefix ${s} is ambiguous`);
        } else {
          let atom: Atom;
          try {
            atom = parseAtom(s);
          } catch (err) {
            throw new ApiError("invalid-argument", `'${s}' is neither a variant id nor an atom: ${(err as Error).message}`);
          }
          match = waiting.filter((e) => atomMatches(atom, { cpv: parseCpv(e.item.variant.cpv) }));
        }
        if (match.length === 0) throw new ApiError("not-found", `nothing waiting for approval matches ${s}`);
        chosen.push(...match);
      }
    }
    await this.policy.approve(chosen.map((e) => e.item.key), caller.name);
    const byPlatform = new Map<string, string[]>();
    for (const e of chosen) byPlatform.set(e.item.variant.platformKey, [...(byPlatform.get(e.item.variant.platformKey) ?? []), e.item.key]);
    for (const [pk, ks] of byPlatform) await this.enqueueNew(pk, ks, `approved-${Date.now()}`);
    this.log.info({ by: caller.name, role: caller.role, variants: chosen.map((e) => e.item.key) }, "variants approved");
    return chosen.map((e) => e.id);
  }

  async hold(atom: string, platformKey: string, reason: string, caller: Caller): Promise<void> {
    try {
      await this.policy.hold(atom, platformKey, reason, caller.name);
    } catch (err) {
      throw new ApiError("invalid-argument", `invalid atom '${atom}': ${(err as Error).message}`, { cause: err });
    }
    for (const n of this.registry.all()) if (platformKey === "" || n.platformKey === platformKey) await this.replan(n.nodeId);
    this.log.info({ by: caller.name, role: caller.role, atom, platform: platformKey, reason }, "package held");
  }

  async unhold(atom: string, platformKey: string, caller: Caller): Promise<void> {
    if (!(await this.policy.unhold(atom, platformKey))) throw new ApiError("not-found", `no hold on ${atom}${platformKey === "" ? "" : ` for ${platformKey}`}`);
    const nonce = `unheld-${Date.now()}`;
    for (const n of this.registry.all()) if (platformKey === "" || n.platformKey === platformKey) await this.replan(n.nodeId, nonce);
    this.log.info({ by: caller.name, role: caller.role, atom, platform: platformKey }, "package unheld");
  }

  /** The seed's nightly job on demand: sync, re-report, fetch, report what is pending. */
  async sync(platformKey: string, caller: Caller): Promise<PendingUpdatesReport> {
    this.log.info({ by: caller.name, role: caller.role, platform: platformKey }, "sync requested");
    if (this.nightly === null) throw new Error("coordinator not started");
    return this.nightly.run(`binfleet sync by ${caller.name}`, platformKey);
  }

  private platformsOf(platformKey: string): PlatformConfig[] {
    return this.config.platforms.filter((p) => platformKey === "" || p.key === platformKey);
  }

  /** Runs Portage in a builder root; returns whether it succeeded (the output's tail is logged otherwise). */
  private async portage(p: PlatformConfig, args: readonly string[], what: string): Promise<boolean> {
    const [file, ...prefix] = this.config.portage.emerge;
    const r = await execa(file!, [...prefix, ...args], { env: { ...this.config.portage.env, [this.config.portage.rootVariable]: p.root }, reject: false, all: true });
    if (r.exitCode !== 0) this.log.error({ platform: p.name, exitCode: r.exitCode, tail: String(r.all ?? "").split("\n").slice(-5) }, what);
    return r.exitCode === 0;
  }

  /** `emerge --sync` in each builder root, then every node of those platforms is told to sync (agents re-report after). */
  private async syncTrees(platformKey: string): Promise<{ nodesAsked: string[]; failed: string[] }> {
    const failed: string[] = [];
    for (const p of this.platformsOf(platformKey)) {
      if (!(await this.portage(p, ["--sync"], "builder sync failed"))) failed.push(p.name);
      this.trees.get(p.key)?.forget();
    }
    const first = this.config.platforms[0];
    const tree = this.config.mirror.tree ?? (first === undefined ? undefined : join(first.root, "var/db/repos", this.config.mirror.repo));
    if (this.mirror !== null && tree !== undefined) {
      await this.mirror.publish(tree).catch((err: unknown) => {
        failed.push("mirror");
        this.log.error({ err: (err as Error).message }, "snapshot not published");
      });
    }
    // A node already on the tree its builders now have would sync to nothing new and report the same plan.
    const builderSnapshot = new Map<string, string>();
    for (const p of this.platformsOf(platformKey)) builderSnapshot.set(p.key, this.mirror?.snapshotId ?? (await treeSnapshotId(join(p.root, "var/db/repos", this.config.mirror.repo))));
    const nodesAsked: string[] = [];
    let current = 0;
    for (const n of this.registry.all()) {
      if (platformKey !== "" && n.platformKey !== platformKey) continue;
      const snapshot = builderSnapshot.get(n.platformKey) ?? "";
      if (snapshot !== "" && n.snapshotId === snapshot) {
        current++;
        continue;
      }
      await this.sendCommand(n.nodeId, { case: "sync", value: { snapshotId: this.mirror?.snapshotId ?? "" } });
      nodesAsked.push(n.nodeId);
    }
    this.log.info({ asked: nodesAsked.length, alreadyCurrent: current }, "nodes asked to sync");
    return { nodesAsked, failed };
  }

  /** Downloads the distfiles of every variant in the build list ahead of building. */
  private async fetchDistfiles(platformKey: string): Promise<string[]> {
    const failed: string[] = [];
    for (const p of this.platformsOf(platformKey)) {
      const cpvs = [...new Set(this.planner.buildList(p.key).map((i) => `=${i.variant.cpv}`))];
      if (cpvs.length > 0 && !(await this.portage(p, ["--fetchonly", "--oneshot", ...cpvs], "fetching distfiles failed"))) failed.push(p.name);
    }
    return failed;
  }

  private pending(platformKey: string): PlatformPending[] {
    return this.platformsOf(platformKey).map((p) => {
      const plan = this.plan(p.key);
      return {
        name: p.name,
        key: p.key,
        nodes: this.registry.all().filter((n) => n.platformKey === p.key).length,
        buildList: plan.length,
        waitingApproval: plan.filter((e) => e.state === "waiting-approval").length,
        failed: plan.filter((e) => e.state === "failed").length,
      };
    });
  }

  /**
   * Removes binaries no node on the platform has installed or pending (with that USE), keeping the
   * newest `keepVersions` versions of each package, and rewrites Packages atomically. Runs in the
   * builder root's turn, so no local build writes to PKGDIR meanwhile.
   */
  async collectGarbage(platformKey: string, dryRun: boolean, keepVersions: number, caller: Caller): Promise<{ removed: string[]; freedBytes: number }> {
    this.log.info({ by: caller.name, role: caller.role, platform: platformKey, dryRun, keepVersions }, "garbage collection requested");
    const needed = new Set<string>();
    await this.forEachLatestReport((r) => {
      for (const p of r.installed) needed.add(installedVariantKey(r.platform!.key, p.cpv, p.use, p.iuse));
    });
    for (const n of this.registry.all()) for (const p of n.pending) needed.add(variantKey({ platformKey: n.platformKey, cpv: p.cpv, use: p.use }));
    const removed: string[] = [];
    let freedBytes = 0;
    for (const p of this.platformsOf(platformKey)) {
      const pkgdir = join(p.root, p.pkgdir);
      await this.rootLock(p.root)(async () => {
        const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8").catch(() => ""));
        const plan = planGarbage(index, p.key, needed, keepVersions);
        for (const r of plan.remove) {
          removed.push(`${p.name}: ${r.cpv} (${r.path})`);
          freedBytes += r.size;
        }
        if (dryRun || plan.remove.length === 0) return;
        // The index first: a client never sees an entry whose file is gone.
        const text = formatPackagesIndex(prunedIndex(index, plan.keep, new Date()));
        const target = join(pkgdir, "Packages");
        await writeFile(`${target}.gz.tmp`, gzipSync(text));
        await writeFile(`${target}.tmp`, text);
        await rename(`${target}.gz.tmp`, `${target}.gz`);
        await rename(`${target}.tmp`, target);
        for (const r of plan.remove) {
          const file = join(pkgdir, r.path);
          if (file.startsWith(`${pkgdir}/`)) await rm(file, { force: true });
        }
      });
      await this.refreshBinhost(p);
    }
    this.log.info({ platform: platformKey, dryRun, removed: removed.length, freedBytes }, "garbage collected");
    return { removed, freedBytes };
  }

  /** What a rollout would do to a node: binaries it would take, packages it would still compile. */
  preflight(nodeId: string): Preflight {
    const n = this.registry.get(nodeId);
    if (n === undefined) return { binaryCount: 0, compileCount: 0, downloadBytes: 0 };
    let binaryCount = 0;
    let compileCount = 0;
    let downloadBytes = 0;
    for (const p of n.pending) {
      const key = variantKey({ platformKey: n.platformKey, cpv: p.cpv, use: p.use });
      if (p.binary) {
        binaryCount++;
        downloadBytes += p.downloadBytes;
      } else if (this.planner.isHeld(key)) {
        binaryCount++;
        downloadBytes += this.binarySizes.get(key) ?? 0;
      } else compileCount++;
    }
    return { binaryCount, compileCount, downloadBytes };
  }

  private progressLoop(): Promise<void> {
    return consumeUntilAborted({
      signal: this.stopping.signal,
      log: this.log,
      what: "progress",
      open: async () => {
        // Durable: outcomes that arrive while the coordinator is down are read when it returns.
        await this.jsm.consumers.info(streams.progress.name, PROGRESS_CONSUMER).catch(() =>
          this.jsm.consumers.add(streams.progress.name, { durable_name: PROGRESS_CONSUMER, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All }),
        );
        return (await this.js.consumers.get(streams.progress.name, PROGRESS_CONSUMER)).consume();
      },
      handle: async (m) => {
        await this.onProgress(m.subject, m.data);
        m.ack();
      },
    });
  }

  private async onProgress(subject: string, data: Uint8Array): Promise<void> {
    let ev;
    try {
      ev = fromBinary(ProgressEventSchema, data);
    } catch {
      this.log.warn({ subject, bytes: data.length }, "malformed progress event dropped");
      return;
    }
    // A node speaks only for itself.
    if (subject !== subjects.progress(ev.nodeId)) {
      this.log.warn({ subject, node: ev.nodeId }, "progress event for another node dropped");
      return;
    }
    if (ev.event.case !== "finished") return;
    const f = ev.event.value;
    this.registry.finished(ev.nodeId, { commandId: ev.commandId, success: f.success, error: f.error, at: Number(ev.atUnixMs), installedBinary: f.installedBinary, compiledLocally: f.compiledLocally });
    this.counters.installedBinary += Math.max(0, f.installedBinary);
    this.counters.compiledLocally += Math.max(0, f.compiledLocally);
    await this.rollouts.finished(ev.nodeId, ev.commandId, f.success, f.success ? "" : f.error || `exit ${f.exitCode}`);
  }

  private heartbeat(subject: string, data: Uint8Array): void {
    try {
      const hb = fromBinary(HeartbeatSchema, data);
      if (subject !== subjects.heartbeat(hb.nodeId)) return;
      if (this.registry.heartbeat(hb.nodeId, hb.state, Date.now())) void this.rollouts.tick();
    } catch {
      this.log.debug({ subject }, "malformed heartbeat dropped");
    }
  }

  /** Each builder root's turn: local workers and gc take turns writing its PKGDIR. */
  private readonly rootLock = rootLocks();
  /** Per platform with a builder: which ebuilds its tree has. */
  private readonly trees = new Map<string, BuilderTree>();
  /** Enrollments and command-key rotations: each rewrites what enrollment hands out. */
  private readonly enrolling = serialLock();
  /** Binpkg key rotations, one at a time (they take as long as re-signing a PKGDIR). */
  private readonly rotatingBinpkgKeys = serialLock();
  private readonly creatingPlatforms = serialLock();
  /** Builder roots made ready to sign, for every builder slot of this process. */
  private readonly signing = signingReadiness();
  private readonly estimates = new BuildEstimates();
  private readonly indexes = new PkgdirIndexes();
  private queuedTimer: NodeJS.Timeout | null = null;
  /** Nodes whose latest report is for another platform than their pin: node → reported platform. */
  private readonly platformChanges = new Map<string, string>();
  /** The bus server's reload in progress, and the one queued after it (joined by every enrollment until it starts). */
  private reloading: Promise<void> = Promise.resolve();
  private nextReload: Promise<void> | null = null;

  private async built(p: PlatformConfig, key: string): Promise<void> {
    const r = this.board.get(key);
    this.counters.builds++;
    if (r !== undefined && r.finishedAt > r.startedAt) this.counters.buildSeconds += (r.finishedAt - r.startedAt) / 1000;
    // Read the index again: builds also add their dependencies' binaries.
    await this.refreshBinhost(p);
    this.planner.markHeld(key);
    for (const n of this.registry.all()) if (n.platformKey === p.key) await this.maybeNotify(n.nodeId);
    void this.rollouts.tick();
  }

  /** With notify "auto": once everything a node would compile is on its binhost, tell it (once per plan) to emerge -g. */
  private async maybeNotify(node: string): Promise<void> {
    if (this.config.policy.notify !== "auto") return;
    const n = this.registry.get(node);
    // A node behind the snapshot syncs first (it was told to); updating now would compile from other ebuilds.
    if (n === undefined || n.pending.length === 0 || this.snapshotBehind(n.snapshotId) || !this.planner.nodeCovered(node)) return;
    const planHash = this.planner.nodeNeedsKey(node);
    if (this.notified.get(node) === planHash) return;
    this.notified.set(node, planHash);
    await this.sendCommand(node, { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [], rolloutId: "" } });
    this.log.info({ node }, "node notified to update");
  }

  /** Signs and sends a command to one node (with the given id, so a resend is recognised). */
  async sendCommand(node: string, action: CommandAction, id: string = randomUUID()): Promise<void> {
    this.commandSeq += 1n;
    const now = Date.now();
    const cmd = signCommand(
      { id, nodeId: node, sequence: this.commandSeq, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 24 * 3600_000), ...(action === undefined ? {} : { action }) },
      this.commandKey.privateKey,
      this.commandKey.keyId,
    );
    await this.js.publish(subjects.command(node), cmd);
  }

  /** Calls fn with the latest report of every node (read from the reports stream, not kept in memory). */
  async forEachLatestReport(fn: (r: AgentReport) => void): Promise<void> {
    const info = await this.jsm.streams.info(streams.reports.name);
    if (info.state.messages === 0) return;
    const consumer = await this.js.consumers.get(streams.reports.name, { deliver_policy: DeliverPolicy.LastPerSubject });
    const messages = await consumer.consume();
    try {
      for await (const m of messages) {
        try {
          fn(validateReport(m.subject, m.data, this.config.maxReportBytes));
        } catch (err) {
          if (!(err instanceof ReportRejectedError)) throw err;
        }
        if (m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
  }

  /** The build log of one build (id = recordKey of the variant), as it was streamed to the bus. */
  async *buildLog(buildId: string, follow: boolean, signal: AbortSignal): AsyncGenerator<string> {
    const subject = buildLogSubject(buildId);
    const variant = this.board.all().find((r) => recordKey(r.key) === buildId)?.key;
    const info = await this.jsm.streams.info(BUILD_LOGS_STREAM.name, { subjects_filter: subject });
    const stored = info.state.subjects?.[subject] ?? 0;
    if (stored === 0 && !follow) return;
    const consumer = await this.js.consumers.get(BUILD_LOGS_STREAM.name, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume();
    const finished = (): boolean => {
      const r = variant === undefined ? undefined : this.board.get(variant);
      return r !== undefined && r.state !== "running";
    };
    // Following ends once the build has finished and its last output has been read.
    let unread = stored;
    const stopWhenDone = setInterval(() => {
      if (finished() && unread === 0) void messages.close();
    }, 500);
    const onAbort = (): void => void messages.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let seen = 0;
      for await (const m of messages) {
        unread = m.info.pending;
        yield new TextDecoder().decode(m.data);
        seen++;
        if (!follow && seen >= stored) break;
      }
    } finally {
      clearInterval(stopWhenDone);
      signal.removeEventListener("abort", onAbort);
      await messages.close();
    }
  }
}
