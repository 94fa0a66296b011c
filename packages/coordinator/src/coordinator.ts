import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { ApiTokens, type Caller } from "@binfleet/api";
import { type BusCredentials, buckets, busInbox, connectBus, ensureStream, jetstreamManagerWhenReady, readBucket, serveCatchUps, streams } from "@binfleet/bus";
import { type DaemonFailure, type SerialLock, Supervisor, serialLock } from "@binfleet/daemon";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import type { Logger } from "@binfleet/shared";
import { type JetStreamClient, type JetStreamManager, jetstream } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { apiTokens } from "./api/admin-token.js";
import type { FleetControl } from "./api/fleet-control.js";
import { type OpsFrontends, startOpsFrontends } from "./api/ops-frontends.js";
import { AccessLog } from "./binhost/access-log.js";
import { BinhostServer } from "./binhost/binhost-server.js";
import { BinhostService } from "./binhost/binhost-service.js";
import { BinpkgKeyring, signingReadiness } from "./binhost/binpkg-keyring.js";
import { PkgdirIndexes } from "./binhost/pkgdir-index.js";
import { SnapshotMirror } from "./binhost/snapshot-mirror.js";
import { readBuildLog } from "./builders/build-logs.js";
import { rootLocks, startBuilderWorkers } from "./builders/builder-pool.js";
import { PlatformCatalog } from "./builders/platform-catalog.js";
import { distdirOf, pkgdirOf } from "./builders/root-portage.js";
import { PlatformCreation, withCreatedPlatforms } from "./builders/platform-creation.js";
import { type ReloadPlan, reloadPlan } from "./config/config-reload.js";
import { type CoordinatorConfig, type PlatformConfig, busCaFile } from "./config/coordinator-config.js";
import { BusUsers } from "./enrollment/bus-users.js";
import { Enrollment } from "./enrollment/enrollment.js";
import { NodeFleet } from "./ingest/node-fleet.js";
import { PlatformPins } from "./ingest/platform-pins.js";
import { CoordinatorMetrics } from "./metrics/metrics.js";
import { NightlyJob, type PendingUpdatesReport } from "./nightly/nightly-job.js";
import { nightlySteps } from "./nightly/nightly-steps.js";
import { CommandSender } from "./node-commands/command-sender.js";
import { loadOrCreateSigningKey } from "./node-commands/signing-key.js";
import { BuildBoard } from "./planning/build-board.js";
import { BuildEstimates } from "./planning/build-estimates.js";
import { BuildPlanner } from "./planning/build-planner.js";
import { BuildQueue } from "./planning/build-queue.js";
import { PolicyStore } from "./planning/policy-store.js";
import { QueuedWork } from "./planning/queued-work.js";
import { Preflights } from "./rollouts/preflight.js";
import { AdvisoryFixer } from "./security/advisory-fixer.js";
import { ExposureTracker } from "./security/exposure-tracker.js";
import { GlsaStore, type StoredSecurity } from "./security/glsa-store.js";
import { type Preflight, type Rollout, RolloutManager } from "./rollouts/rollout-manager.js";
import { UpdateNotifier } from "./rollouts/update-notifier.js";

export type CoordinatorState = "starting" | "running" | "draining" | "stopped" | "failed";

/** The bus as the coordinator holds it: the embedded server (if it runs one), the connection, JetStream. */
interface Bus {
  readonly server: NatsServer | null;
  readonly users: BusUsers | null;
  readonly credentials: BusCredentials | null;
  readonly url: string;
  readonly nc: NatsConnection;
  /** The inbox prefix replies to the coordinator's connection come under. */
  readonly inbox: string;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** Starts the embedded nats-server when no cluster is configured, connects, makes sure binfleet's streams exist. */
async function openBus(config: CoordinatorConfig, supervisor: Supervisor, log: Logger): Promise<Bus> {
  let server: NatsServer | null = null;
  let users: BusUsers | null = null;
  let urls = config.nats.urls;
  let credentials: BusCredentials | null = config.nats.user === undefined ? null : { user: config.nats.user, pass: config.nats.pass ?? "" };
  if (urls.length === 0) {
    // The embedded server knows only the coordinator, builders and enrolled nodes, each limited to its own subjects.
    users = await BusUsers.load(config.stateDir);
    credentials = users.coordinator;
    const embedded = await startNatsServer({
      dir: join(config.stateDir, "nats"),
      config: users.serverConfig(),
      ...(config.nats.embeddedPort === 0 ? {} : { port: config.nats.embeddedPort }),
      ...(config.nats.tls === undefined ? {} : { tls: config.nats.tls }),
    });
    server = embedded;
    supervisor.defer("embedded nats-server", () => embedded.stop());
    // Every node's bus goes with it: the coordinator exits for its service manager to start both again.
    embedded.onUnexpectedExit((why) => supervisor.fail("embedded nats-server", new Error(why)));
    urls = [embedded.url];
    log.info({ url: embedded.url }, "embedded nats-server started");
  }
  const caFile = busCaFile(config);
  // An external cluster may be down for a while: wait for it. The embedded server is up, so a
  // failure to reach it (a TLS certificate that does not verify) is an error to report now.
  const nc = await connectBus({ servers: urls, name: "binfleet-coordinator", credentials, ...(caFile === undefined ? {} : { caFile }), waitOnFirstConnect: server === null, log });
  supervisor.defer("bus connection", () => nc.drain().catch(() => nc.close()));
  void nc.closed().then((err) => {
    if (!supervisor.isStopping) supervisor.fail("bus connection", err ?? new Error("closed"));
  });
  const jsm = await jetstreamManagerWhenReady(nc, { timeout: 10_000, log });
  const replicas = config.nats.replicas;
  for (const s of Object.values(streams)) {
    await ensureStream(jsm, { ...s, subjects: [...s.subjects], num_replicas: replicas }, log);
  }
  return { server, users, credentials, url: urls[0]!, nc, inbox: busInbox({ credentials }), js: jetstream(nc), jsm };
}

/** The coordinator's parts, as the composition root wires them. */
interface Parts {
  readonly config: CoordinatorConfig;
  readonly log: Logger;
  readonly supervisor: Supervisor;
  readonly bus: Bus;
  readonly tokens: ApiTokens;
  readonly platforms: PlatformCatalog;
  readonly fleet: NodeFleet;
  readonly queue: BuildQueue;
  readonly board: BuildBoard;
  readonly builds: KV;
  readonly estimates: BuildEstimates;
  readonly rollouts: RolloutManager;
  readonly rolloutKv: KV;
  readonly binhost: BinhostService;
  readonly binhostServer: BinhostServer;
  readonly indexes: PkgdirIndexes;
  readonly rootLock: (root: string) => SerialLock;
  readonly keyring: BinpkgKeyring;
  readonly queuedWork: QueuedWork;
  readonly commands: CommandSender;
  readonly enrollment: Enrollment;
  readonly metrics: CoordinatorMetrics;
  readonly accessLog: AccessLog | null;
  readonly platformCreation: PlatformCreation;
  readonly notifier: UpdateNotifier;
  readonly preflights: Preflights;
  readonly mirror: SnapshotMirror | null;
  readonly advisories: ExposureTracker;
  readonly fixes: AdvisoryFixer;
  /** The security state the bucket held at start (fixes are taken in once rollouts are). */
  readonly storedSecurity: StoredSecurity;
}

/**
 * The coordinator's composition root: opens the bus and the binhost, builds each service with
 * only what it uses, starts their loops under one supervisor, and closes everything in reverse
 * order. JetStream streams and KV are its only state: on start it rebuilds the plan from the
 * latest report of every node.
 */
export class Coordinator implements FleetControl {
  private state: CoordinatorState = "starting";
  private frontends: OpsFrontends | null = null;
  private nightly: NightlyJob | null = null;
  /** Distinguishes this process's workers from those of a coordinator that died. */
  private readonly instance = randomUUID().slice(0, 8);
  /** Builder roots made ready to sign, for every builder slot of this process. */
  private readonly signing = signingReadiness();
  /** As started, with what reloads applied (schedule, api.tokens). */
  config: CoordinatorConfig;
  readonly tokens: ApiTokens;
  readonly platforms: PlatformCatalog;
  readonly fleet: NodeFleet;
  readonly queue: BuildQueue;
  readonly board: BuildBoard;
  readonly rollouts: RolloutManager;
  readonly binhost: BinhostService;
  readonly keyring: BinpkgKeyring;
  readonly commands: CommandSender;
  readonly enrollment: Enrollment;
  readonly platformCreation: PlatformCreation;
  readonly mirror: SnapshotMirror | null;
  readonly advisories: ExposureTracker;
  readonly fixes: AdvisoryFixer;

  private constructor(private readonly p: Parts) {
    ({ config: this.config, tokens: this.tokens, platforms: this.platforms, fleet: this.fleet, queue: this.queue, board: this.board, rollouts: this.rollouts } = p);
    ({ binhost: this.binhost, keyring: this.keyring, commands: this.commands, enrollment: this.enrollment, platformCreation: this.platformCreation, mirror: this.mirror } = p);
    ({ advisories: this.advisories, fixes: this.fixes } = p);
  }

  static async create(config: CoordinatorConfig, log: Logger): Promise<Coordinator> {
    const supervisor = new Supervisor(log);
    try {
      const bus = await openBus(config, supervisor, log);
      const kvm = new Kvm(bus.nc);
      const bucket = (name: string, history = 5) => kvm.create(name, { history, replicas: config.nats.replicas });
      const builds = await bucket(buckets.builds);
      const keyring = await BinpkgKeyring.open(await bucket(buckets.binpkgKeys));
      supervisor.defer("binpkg keyring", () => keyring.stop());
      const queuedWork = await QueuedWork.open(await bucket(buckets.queuedWork, 1));
      supervisor.defer("queued work", () => queuedWork.stop());
      const pins = await PlatformPins.open(await bucket(buckets.platformPins, 1), (err) => log.warn({ err: err.message }, "platform pins not stored"));
      supervisor.defer("platform pins", () => pins.flush().catch((err: unknown) => log.warn({ err: (err as Error).message }, "platform pins not stored")));
      const createdKv = await bucket(buckets.createdPlatforms);
      const rolloutKv = await bucket(buckets.rollouts);
      const glsaStore = new GlsaStore(await bucket(buckets.glsa, 1));
      const storedSecurity = await glsaStore.load(log);
      const catalog = withCreatedPlatforms(config.platforms, await readBucket(createdKv, log), log);
      const requireApproval = (pk: string): boolean => catalog.find((p) => p.key === pk)?.requireApproval ?? config.policy.requireApproval;
      const policy = await PolicyStore.open(await bucket(buckets.policy), { configHolds: config.policy.hold, requireApproval, autoApprove: config.policy.autoApprove });
      supervisor.defer("policy", () => policy.stop());
      const board = new BuildBoard(log);
      await board.follow(builds);
      supervisor.defer("build board", () => board.stop());
      const tokens = new ApiTokens(await apiTokens(config));
      // The coordinator exists only after the server starts: /healthz reads it through this late binding.
      const self: { c: Coordinator | null } = { c: null };
      const metrics = new CoordinatorMetrics();
      const accessLog = config.http.accessLog === undefined ? null : await AccessLog.open(config.http.accessLog, log);
      if (accessLog !== null) supervisor.defer("access log", () => accessLog.close());
      const server = await BinhostServer.start({
        host: config.http.host, port: config.http.port, cacheBytes: config.http.cacheMiB * 1024 * 1024,
        platforms: catalog.map((p) => ({ name: p.name, pkgdir: pkgdirOf(p), ...(p.auth === undefined ? {} : { auth: p.auth }) })),
        log,
        metrics: () => metrics.render(),
        onResponse: (r) => {
          metrics.httpResponse(r.method, r.status);
          accessLog?.write(r);
        },
        healthy: () => self.c?.status() === "running",
        ...(config.http.tls === undefined ? {} : { tls: config.http.tls }),
        distdirs: config.http.distfiles ? catalog.map((p) => distdirOf(p)) : [],
      });
      supervisor.defer("binhost", () => server.close());
      metrics.observeServedFileCache(() => server.cachedBytes);
      const mirror = config.mirror.enabled
        ? await SnapshotMirror.start({ stateDir: config.stateDir, repo: config.mirror.repo, host: config.mirror.host, port: config.mirror.port, publicHost: config.mirror.publicHost, log })
        : null;
      if (mirror !== null) supervisor.defer("snapshot mirror", () => mirror.stop());
      const enrolling = serialLock();
      const commands = new CommandSender(bus, await loadOrCreateSigningKey(config.stateDir), config.stateDir, enrolling, log);
      const platforms = new PlatformCatalog(config.portage, catalog, () => config.http.publicUrl ?? server.url);
      const fleet = new NodeFleet({ nc: bus.nc, js: bus.js, jsm: bus.jsm, pins, commands, staleAfterSeconds: config.staleAfterSeconds, maxReportBytes: config.maxReportBytes, log });
      const planner = new BuildPlanner();
      const estimates = new BuildEstimates();
      const queue = new BuildQueue({ planner, policy, board, estimates, queuedWork, registry: fleet.registry, platforms, commands, js: bus.js, jsm: bus.jsm, leaseSeconds: config.buildLeaseSeconds, fleetSnapshot: () => mirror?.snapshotId ?? "", queued: (k) => metrics.buildQueued(k), log });
      supervisor.defer("build queue", () => queue.stop());
      const enrollment = new Enrollment({ users: bus.users, server: bus.server, jsm: bus.jsm, publicUrls: [config.nats.publicUrl ?? bus.url], caFile: busCaFile(config), enrolling, log });
      const indexes = new PkgdirIndexes();
      const rootLock = rootLocks();
      const binhost = new BinhostService({
        config,
        server,
        indexes,
        keyring,
        planner,
        platforms,
        registry: fleet.registry,
        commands,
        enrolledNodes: () => enrollment.nodes(),
        forEachLatestReport: (fn) => fleet.forEachLatestReport(fn),
        rootLock,
        log,
      });
      const snapshotBehind = (node: string): boolean => queue.snapshotBehind(fleet.registry.get(node)?.snapshotId ?? "");
      // Rollouts of a security fix (atoms named) ask the fix what their nodes take; the fix starts rollouts.
      let fixes: AdvisoryFixer | null = null;
      const preflights = new Preflights(fleet.registry, planner, (k) => binhost.binarySize(k));
      const rollouts = new RolloutManager(
        {
          nodesOf: (pk) => fleet.registry.all().filter((n) => pk === "" || n.platformKey === pk).map((n) => n.nodeId),
          preflight: (node, atoms) => (atoms.length === 0 ? preflights.of(node) : fixes!.preflight(node, atoms)),
          online: (node) => fleet.registry.online(node, Date.now()),
          // A node behind the fleet's snapshot was told to sync; it is updated once it reports from the new tree.
          ready: (node, atoms) => (atoms.length === 0 ? planner.nodeCovered(node) && !snapshotBehind(node) : fixes!.ready(node, atoms)),
          sendUpdates: (rolloutId, updates) => commands.sendMany(updates.map((u) => ({ node: u.nodeId, id: u.commandId, action: { case: "update", value: { atoms: [...(u.atoms ?? [])], getbinpkgonly: false, pretend: false, hold: [], rolloutId } } }))),
          save: async (r) => void (await rolloutKv.put(r.id, JSON.stringify(r))),
          now: () => Date.now(),
        },
        log.child({ component: "rollouts" }),
        config.rolloutNodeTimeoutSeconds * 1000,
      );
      const advisories = new ExposureTracker({ store: glsaStore, platforms, portage: config.portage, forEachLatestReport: (fn) => fleet.forEachLatestReport(fn), log: log.child({ component: "security" }) });
      advisories.restore(storedSecurity);
      metrics.observeFleet({
        registry: fleet.registry,
        queue,
        installs: () => fleet.installs,
        advisories: () => advisories.advisories().map((a) => ({ id: a.advisory.id, severity: a.advisory.severity, nodes: a.exposures.length })),
      });
      fixes = new AdvisoryFixer({
        tracker: advisories,
        store: glsaStore,
        queue,
        rollouts,
        registry: fleet.registry,
        platforms,
        board,
        security: config.policy.security,
        snapshotBehind,
        binarySize: (k) => binhost.binarySize(k),
        log: log.child({ component: "security" }),
      });
      const notifier = new UpdateNotifier(config.policy.notify, fleet.registry, queue, commands, log);
      const platformCreation = new PlatformCreation({
        config,
        platforms,
        registry: fleet.registry,
        binhost,
        keyring,
        queue,
        commands,
        created: createdKv,
        startBuilders: (p) => self.c!.startBuilders([p], 0),
        log,
      });
      self.c = new Coordinator({ config, log, supervisor, bus, tokens, platforms, fleet, queue, board, builds, estimates, rollouts, rolloutKv, binhost, binhostServer: server, indexes, rootLock, keyring, queuedWork, commands, enrollment, metrics, accessLog, platformCreation, notifier, preflights, mirror, advisories, fixes, storedSecurity });
      return self.c;
    } catch (err) {
      await supervisor.stop();
      throw err;
    }
  }

  /** Resolves when the coordinator can no longer work (a loop died, its bus is gone). */
  get failure(): Promise<DaemonFailure> {
    return this.p.supervisor.failure;
  }

  status(): CoordinatorState {
    return this.p.supervisor.failed !== null && this.state !== "stopped" ? "failed" : this.state;
  }

  /** The bus the coordinator is on (the embedded server's URL when it runs one). */
  get natsUrl(): string {
    return this.p.bus.url;
  }

  /** The coordinator's own bus credentials (tools and tests that read the bus as it does), if any. */
  get busCredentials(): BusCredentials | null {
    return this.p.bus.credentials;
  }

  /** What the embedded nats-server printed (empty with an external cluster), refused operations included. */
  busServerLog(): string {
    return this.p.bus.server?.log() ?? "";
  }

  /** The address of the ops API (host:port), once started. */
  get apiAddress(): string {
    if (this.frontends === null) throw new Error("coordinator not started");
    return this.frontends.api.address;
  }

  /** The dashboard's URL (…/ui/), or null when it is not configured. */
  get dashboardUrl(): string | null {
    return this.frontends?.dashboard?.url ?? null;
  }

  /** Where the binhost's HTTP server listens (binhosts, distfiles, /metrics, /healthz). */
  get httpUrl(): string {
    return this.p.binhostServer.url;
  }

  /** The GENTOO_MIRRORS entry for the builders' distfiles, or null when they are not served. */
  distfilesMirror(): string | null {
    return this.config.http.distfiles ? (this.config.http.publicUrl ?? this.p.binhostServer.url) : null;
  }

  readonly preflight = (nodeId: string): Preflight => this.p.preflights.of(nodeId);

  rotateCommandKey(caller: Caller): Promise<{ keyId: string; previousKeyId: string; nodes: string[] }> {
    return this.commands.rotate(() => [...new Set([...this.fleet.registry.all().map((n) => n.nodeId), ...this.enrollment.nodes()])].sort(), caller);
  }

  /** The seed's nightly job on demand: sync, re-report, fetch, report what is pending. */
  async sync(platformKey: string, caller: Caller): Promise<PendingUpdatesReport> {
    this.p.log.info({ by: caller.name, role: caller.role, platform: platformKey }, "sync requested");
    if (this.nightly === null) throw new Error("coordinator not started");
    return this.nightly.run(`binfleet sync by ${caller.name}`, platformKey);
  }

  buildLog(buildId: string, follow: boolean, signal: AbortSignal): AsyncGenerator<string> {
    return readBuildLog(this.p.bus.js, this.p.bus.jsm, this.board, buildId, follow, signal);
  }

  /** Prometheus text exposition (what /metrics serves). */
  metrics(): Promise<string> {
    return this.p.metrics.render();
  }

  /** Starts the services' loops and the ops frontends; a start that fails closes what it opened, then throws. */
  async start(): Promise<void> {
    try {
      await this.startServices();
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  private async startServices(): Promise<void> {
    const { supervisor, log } = this.p;
    for (const r of this.board.all()) this.p.estimates.observe(r);
    this.p.metrics.seed(this.board.all());
    // A build finished, by this process's workers or a builder process elsewhere: take it in.
    supervisor.defer(
      "build records",
      this.board.subscribe((r) => {
        this.p.estimates.observe(r);
        this.p.metrics.buildRecord(r);
        this.queue.changed();
        const p = r.state === "succeeded" ? this.platforms.ofKey(r.key.slice(0, r.key.indexOf("|"))) : undefined;
        if (p !== undefined) void this.takeIn(p, r.key).catch((err: unknown) => log.error({ variant: r.key, err }, "finished build not taken in"));
      }),
    );
    for (const p of this.platforms.all()) await this.binhost.prepare(p);
    void this.enrollment.removeLegacyConsumers().catch((err: unknown) => log.warn({ err: (err as Error).message }, "legacy command consumers not removed"));
    const saved = [...(await readBucket(this.p.rolloutKv, log)).values()] as Rollout[];
    // Advisories before reports: the report intake matches each node against them as it takes it in.
    await this.advisories.refreshTree(false).catch((err: unknown) => log.error({ err: (err as Error).message }, "advisories not read"));
    this.fleet.start(
      {
        reported: async (nodeId, report) => {
          // Exposures are kept beside the plan: a failure to store them does not hold the node's plan up.
          await this.advisories.report(report).catch((err: unknown) => log.error({ node: nodeId, err: (err as Error).message }, "advisories not matched"));
          const added = await this.queue.replan(nodeId);
          const n = this.fleet.registry.get(nodeId)!;
          log.info({ node: nodeId, platform: n.platformKey, pending: n.pending.length, newVariants: added }, "report accepted");
          await this.p.notifier.maybeNotify(nodeId);
          void this.rollouts.tick();
        },
        finished: (nodeId, commandId, success, error) => this.rollouts.finished(nodeId, commandId, success, error),
        online: () => void this.rollouts.tick(),
        hasBuilder: (pk) => this.platforms.ofKey(pk) !== undefined,
      },
      supervisor,
    );
    // Agents catch up on commands they missed through a consumer only the coordinator may make.
    const catchUps = serveCatchUps(this.p.bus.nc, this.p.bus.jsm, log);
    supervisor.defer("command catch-ups", () => catchUps.unsubscribe());
    this.startBuilders(this.platforms.all(), this.config.builderSlots);
    await this.rollouts.load(saved);
    await this.fixes.restore(this.p.storedSecurity.fixes);
    const ticker = setInterval(() => void this.rollouts.tick(), 2000);
    supervisor.defer("rollout ticker", async () => {
      clearInterval(ticker);
      await this.rollouts.tick();
    });
    const nightly = new NightlyJob(
      nightlySteps({ config: this.config, platforms: this.platforms, registry: this.fleet.registry, queue: this.queue, commands: this.commands, mirror: this.mirror, advisories: this.advisories, log }),
      log.child({ component: "nightly" }),
      { at: this.config.schedule.nightly, webhook: this.config.schedule.webhook, reportWaitMs: this.config.schedule.reportWaitSeconds * 1000, signal: supervisor.signal },
    );
    this.nightly = nightly;
    nightly.schedule();
    supervisor.defer("nightly job", () => nightly.stop());
    this.frontends = await startOpsFrontends(this, this.config, this.tokens, supervisor, log);
    this.state = "running";
    log.info({ platforms: this.platforms.all().map((p) => p.name), binhost: this.p.binhostServer.url, api: this.apiAddress, dashboard: this.dashboardUrl }, "coordinator started");
  }

  /** Builder slots of this process for the given platforms (0 slots: one per builder root). */
  private startBuilders(platforms: readonly PlatformConfig[], slots: number): void {
    for (const [i, loop] of startBuilderWorkers({
      config: { ...this.config, platforms: [...platforms], builderSlots: slots },
      js: this.p.bus.js,
      jsm: this.p.bus.jsm,
      builds: this.p.builds,
      policy: this.queue.policy,
      keyring: this.keyring,
      signing: this.signing,
      queued: this.p.queuedWork,
      indexes: this.p.indexes,
      instance: this.instance,
      signal: this.p.supervisor.signal,
      log: this.p.log,
      rootLock: this.p.rootLock,
    }).entries()) {
      this.p.supervisor.loop(`builder slot ${i} (${platforms.map((p) => p.name).join(",")})`, () => loop);
    }
  }

  /** A build finished: the binhost holds it (and whatever dependencies it built); nodes waiting for it are told. */
  private async takeIn(p: PlatformConfig, key: string): Promise<void> {
    // Read the index again: builds also add their dependencies' binaries.
    await this.binhost.refresh(p);
    this.queue.planner.markHeld(key);
    await this.p.notifier.platformChanged(p.key);
    void this.rollouts.tick();
  }

  /**
   * SIGHUP, with the configuration file read again: reopens the access log (logrotate), applies
   * what may change while running (config-reload.ts) and logs what waits for a restart.
   */
  async reload(next: CoordinatorConfig): Promise<ReloadPlan> {
    const plan = reloadPlan(this.config, next);
    await this.p.accessLog?.reopen();
    if (plan.apply.includes("api.tokens")) this.tokens.replace(await apiTokens(next));
    if (plan.apply.includes("schedule")) this.nightly?.reconfigure({ at: next.schedule.nightly, webhook: next.schedule.webhook, reportWaitMs: next.schedule.reportWaitSeconds * 1000 });
    this.config = { ...this.config, schedule: next.schedule, api: { ...this.config.api, tokens: next.api.tokens } };
    this.p.log.info({ applied: plan.apply }, "configuration applied");
    if (plan.restart.length > 0) this.p.log.warn({ settings: plan.restart }, "changed settings need a restart");
    return plan;
  }

  /** Stops taking work, lets running builds finish their step, closes everything in reverse order. */
  async shutdown(): Promise<void> {
    if (this.state === "stopped" || this.state === "draining") return;
    this.state = "draining";
    await this.p.supervisor.stop();
    this.state = "stopped";
    this.p.log.info({}, "coordinator stopped");
  }
}
