import { createHash, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Atom, type Logger, atomMatches, parseAtom, parseCpv, parsePackagesIndex, signCommand, streams, subjects } from "@binfleet/shared";
import { BuildJobSchema } from "@binfleet/shared/wire";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, RetentionPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { BinhostServer } from "./binhost-server.js";
import { type SigningIdentity, ensureSigningKey, trustSigningKey } from "./binpkg-signing.js";
import { BuildPlanner, type NodeNeeds, variantKey } from "./build-planner.js";
import { BuilderWorker, type PlatformConfig } from "./builder-worker.js";
import type { CoordinatorConfig } from "./coordinator-config.js";
import { heldVariants, needsFromReport } from "./node-needs.js";
import { ReportRejectedError, validateReport } from "./report-validation.js";
import { type CommandSigningKey, loadOrCreateSigningKey } from "./signing-key.js";

export type CoordinatorState = "starting" | "running" | "draining" | "stopped";

const BUILDS_STREAM = { name: "BINFLEET_BUILDS", subjects: ["binfleet.build.>"], retention: RetentionPolicy.Workqueue, duplicate_window: 10 * 60 * 1_000_000_000 };
const buildSubject = (platform: string): string => `binfleet.build.${platform}`;
const KV_BUILDS = "binfleet-builds";

/**
 * The coordinator: ingests node reports, keeps one deduplicated build list per
 * platform, queues builds on JetStream for builder workers, serves the binhost
 * and tells covered nodes to `emerge -g`. JetStream streams and KV are its only
 * state: on start it rebuilds the plan from the latest report of every node.
 */
export class Coordinator {
  private state: CoordinatorState = "starting";
  private readonly stopping = new AbortController();
  private readonly loops: Promise<unknown>[] = [];
  readonly planner = new BuildPlanner();
  private readonly holds: Atom[];
  private readonly notified = new Map<string, string>();
  private readonly platformByKey: Map<string, PlatformConfig>;
  private commandSeq = BigInt(Date.now()) * 1000n;
  /** Distinguishes this process's workers from those of a coordinator that died. */
  private readonly instance = randomUUID().slice(0, 8);
  /** Nodes whose reports were accepted, with their platform key. */
  readonly nodes = new Map<string, string>();
  /** Each platform's binpkg signing key (by platform name), set up by start(). */
  readonly binpkgKeys = new Map<string, SigningIdentity>();

  private constructor(
    private readonly config: CoordinatorConfig,
    private readonly log: Logger,
    private readonly embedded: NatsServer | null,
    /** The bus the coordinator is on (the embedded server's URL when it runs one). */
    readonly natsUrl: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly builds: KV,
    readonly signingKey: CommandSigningKey,
    readonly binhost: BinhostServer,
  ) {
    this.holds = config.policy.hold.map((a) => parseAtom(a));
    this.platformByKey = new Map(config.platforms.map((p) => [p.key, p]));
  }

  static async create(config: CoordinatorConfig, log: Logger): Promise<Coordinator> {
    const opened: (() => Promise<unknown>)[] = [];
    try {
      let embedded: NatsServer | null = null;
      let urls = config.nats.urls;
      if (urls.length === 0) {
        embedded = await startNatsServer({ dir: join(config.stateDir, "nats"), ...(config.nats.embeddedPort === 0 ? {} : { port: config.nats.embeddedPort }) });
        opened.push(() => embedded!.stop());
        urls = [embedded.url];
        log.info({ url: embedded.url }, "embedded nats-server started");
      }
      const nc = await connect({ servers: urls, name: "binfleet-coordinator", waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      opened.push(() => nc.close());
      const jsm = await jetstreamManager(nc, { timeout: 10_000 });
      for (const s of [...Object.values(streams), BUILDS_STREAM]) {
        await jsm.streams.add({ ...s, subjects: [...s.subjects] }).catch(async () => jsm.streams.update(s.name, { ...s, subjects: [...s.subjects] }));
      }
      const builds = await new Kvm(nc).create(KV_BUILDS, { history: 5 });
      const key = await loadOrCreateSigningKey(config.stateDir);
      // The coordinator exists only after the server starts: metrics read it through this late binding.
      const self: { c: Coordinator | null } = { c: null };
      const binhost = await BinhostServer.start({
        host: config.http.host,
        port: config.http.port,
        platforms: config.platforms.map((p) => ({ name: p.name, pkgdir: join(p.root, p.pkgdir), ...(p.auth === undefined ? {} : { auth: p.auth }) })),
        log,
        metrics: () => self.c?.metrics() ?? "",
        healthy: () => self.c?.status() === "running",
      });
      opened.push(() => binhost.close());
      self.c = new Coordinator(config, log, embedded, urls[0]!, nc, jetstream(nc), jsm, builds, key, binhost);
      return self.c;
    } catch (err) {
      for (const close of opened.reverse()) await close().catch(() => undefined);
      throw err;
    }
  }

  status(): CoordinatorState {
    return this.state;
  }

  /** Prometheus text: nodes and pending variants per platform, builds finished by this process. */
  metrics(): string {
    const lines = [
      "# HELP binfleet_nodes Nodes whose latest report was accepted, by platform.",
      "# TYPE binfleet_nodes gauge",
    ];
    const perPlatform = new Map<string, number>();
    for (const pk of this.nodes.values()) perPlatform.set(pk, (perPlatform.get(pk) ?? 0) + 1);
    for (const [pk, n] of perPlatform) lines.push(`binfleet_nodes{platform="${pk}"} ${n}`);
    lines.push("# HELP binfleet_build_list Variants some node would compile and the binhost lacks.", "# TYPE binfleet_build_list gauge");
    for (const pk of this.planner.platformKeys()) lines.push(`binfleet_build_list{platform="${pk}"} ${this.planner.buildList(pk).length}`);
    lines.push("# HELP binfleet_builds_succeeded_total Variants built (or found built) since start.", "# TYPE binfleet_builds_succeeded_total counter", `binfleet_builds_succeeded_total ${this.builtCount}`);
    return `${lines.join("\n")}\n`;
  }

  /** The URL nodes use for a platform's binhost (binrepos.conf sync-uri). */
  binhostUrl(platformName: string): string {
    return `${this.config.http.publicUrl ?? this.binhost.url}/binhost/${platformName}`;
  }

  async start(): Promise<void> {
    for (const p of this.config.platforms) {
      await this.loadHeld(p);
      // Portage verifies binpkg signatures by default: sign everything, and let the builder trust
      // its own key (Portage verifies each new package as it goes into PKGDIR).
      const key = await ensureSigningKey(join(p.root, "etc/portage/gnupg-signing"), `binfleet builder ${p.name} <binpkg@binfleet.invalid>`);
      await trustSigningKey(join(p.root, "etc/portage/gnupg"), key);
      this.binpkgKeys.set(p.name, key);
    }
    this.loops.push(this.ingestLoop());
    for (const p of this.config.platforms) for (let i = 0; i < p.workers; i++) this.loops.push(this.workerLoop(p, i));
    this.state = "running";
    this.log.info({ platforms: this.config.platforms.map((p) => p.name), binhost: this.binhost.url }, "coordinator started");
  }

  /** Stops taking work, lets running builds finish their step, closes everything in reverse order. */
  async shutdown(): Promise<void> {
    if (this.state === "stopped" || this.state === "draining") return;
    this.state = "draining";
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    await this.binhost.close();
    await this.nc.drain().catch(() => this.nc.close());
    await this.embedded?.stop();
    this.state = "stopped";
    this.log.info({}, "coordinator stopped");
  }

  private async loadHeld(p: PlatformConfig): Promise<void> {
    try {
      const index = parsePackagesIndex(await readFile(join(p.root, p.pkgdir, "Packages"), "utf8"));
      this.planner.setHeld(p.key, heldVariants(p.key, index));
    } catch {
      this.planner.setHeld(p.key, []);
    }
  }

  private held(cpv: string): boolean {
    const c = parseCpv(cpv);
    return this.holds.some((a) => atomMatches(a, { cpv: c }));
  }

  /** Replays the latest report of every node, then follows new ones. */
  private async ingestLoop(): Promise<void> {
    let current: { close(): Promise<void | Error> } | null = null;
    this.stopping.signal.addEventListener("abort", () => void current?.close(), { once: true });
    while (!this.stopping.signal.aborted) {
      try {
        // The stream holds only reports; no subject filter (filter_subjects needs nats-server 2.10, Debian 12 ships 2.9).
        const consumer = await this.js.consumers.get(streams.reports.name, { deliver_policy: DeliverPolicy.LastPerSubject });
        const messages = await consumer.consume();
        current = messages;
        for await (const m of messages) await this.ingest(m.subject, m.data);
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        this.log.warn({ err: (err as Error).message }, "report consumer unavailable, retrying");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Accepts or rejects one report; never throws for bad input. */
  async ingest(subject: string, data: Uint8Array): Promise<void> {
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
    const needs = needsFromReport(report);
    if (!this.platformByKey.has(needs.platformKey)) {
      this.log.warn({ node: report.nodeId, platform: needs.platformKey }, "report from a platform without a builder: nodes keep compiling");
    }
    // Held packages are never built: the node compiles them, and they do not block notification.
    const buildable: NodeNeeds = { ...needs, wants: needs.wants.filter((w) => !this.held(w.cpv)) };
    this.nodes.set(report.nodeId, needs.platformKey);
    const { added } = this.planner.updateNode(buildable);
    this.log.info({ node: report.nodeId, platform: needs.platformKey, wants: needs.wants.length, newVariants: added.length }, "report accepted");
    const platform = this.platformByKey.get(needs.platformKey);
    if (platform !== undefined && added.length > 0) {
      const fresh = new Set(added);
      // In build-list order, so dependencies are queued (and built) first.
      for (const item of this.planner.buildList(needs.platformKey)) if (fresh.has(item.key)) await this.enqueue(platform, item.variant.cpv, [...item.variant.use], item.wantedBy);
    }
    await this.maybeNotify(report.nodeId, report.plan.length > 0);
  }

  private async enqueue(p: PlatformConfig, cpv: string, use: string[], wantedBy: readonly string[]): Promise<void> {
    const key = variantKey({ platformKey: p.key, cpv, use });
    const job = create(BuildJobSchema, { id: randomUUID(), platformKey: p.key, cpv, use, attempt: 1, wantedBy: [...wantedBy] });
    // The variant key as message id: JetStream drops a second enqueue of the same variant.
    await this.js.publish(buildSubject(p.name), toBinary(BuildJobSchema, job), { msgID: createHash("sha256").update(key).digest("hex") });
    this.log.info({ variant: key }, "build queued");
  }

  private async workerLoop(p: PlatformConfig, index: number): Promise<void> {
    const name = `builders-${p.name}`;
    let current: { close(): Promise<void | Error> } | null = null;
    this.stopping.signal.addEventListener("abort", () => void current?.close(), { once: true });
    const signing = this.binpkgKeys.get(p.name)!;
    const worker = new BuilderWorker(`${p.name}#${index}@${this.instance}`, p, this.config, this.builds, this.log.child({ worker: `${p.name}#${index}` }), (key) => void this.built(key), this.rootLock(p.root), {
      FEATURES: "binpkg-signing",
      BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing",
      BINPKG_GPG_SIGNING_KEY: signing.fingerprint,
    });
    while (!this.stopping.signal.aborted) {
      try {
        await this.jsm.consumers.info(BUILDS_STREAM.name, name).catch(() =>
          this.jsm.consumers.add(BUILDS_STREAM.name, { durable_name: name, filter_subject: buildSubject(p.name), ack_policy: AckPolicy.Explicit, ack_wait: 60 * 1_000_000_000, max_deliver: -1 }),
        );
        const consumer = await this.js.consumers.get(BUILDS_STREAM.name, name);
        const messages = await consumer.consume({ max_messages: 1 });
        current = messages;
        for await (const m of messages) await worker.handle(m);
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        this.log.warn({ err: (err as Error).message, worker: index }, "build queue unavailable, retrying");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private readonly rootLocks = new Map<string, <T>(fn: () => Promise<T>) => Promise<T>>();

  /** Workers sharing a builder root take turns: two emerges in one ROOT would fight over its vdb. */
  private rootLock(root: string): <T>(fn: () => Promise<T>) => Promise<T> {
    let lock = this.rootLocks.get(root);
    if (lock === undefined) {
      let tail: Promise<unknown> = Promise.resolve();
      lock = <T>(fn: () => Promise<T>): Promise<T> => {
        const run = tail.then(fn, fn);
        tail = run.catch(() => undefined);
        return run;
      };
      this.rootLocks.set(root, lock);
    }
    return lock;
  }

  private builtCount = 0;

  private async built(key: string): Promise<void> {
    this.builtCount++;
    this.planner.markHeld(key);
    const platformKey = key.slice(0, key.indexOf("|"));
    for (const [node, pk] of this.nodes) if (pk === platformKey) await this.maybeNotify(node, true);
  }

  /** Once everything a node would compile is on its binhost, tell it (once per plan) to emerge -g. */
  private async maybeNotify(node: string, pending: boolean): Promise<void> {
    if (!pending || !this.planner.nodeCovered(node)) return;
    const planHash = this.planner.nodeNeedsKey(node);
    if (this.notified.get(node) === planHash) return;
    this.notified.set(node, planHash);
    this.commandSeq += 1n;
    const now = Date.now();
    const cmd = signCommand(
      { id: randomUUID(), nodeId: node, sequence: this.commandSeq, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 24 * 3600_000), action: { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [] } } },
      this.signingKey.privateKey,
      this.signingKey.keyId,
    );
    await this.js.publish(subjects.command(node), cmd);
    this.log.info({ node }, "node notified to update");
  }
}
