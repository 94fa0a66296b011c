import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BuildRecord } from "../builders/builder-worker.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { BuildQueue } from "../planning/build-queue.js";

/** An advisory of the builders' tree and how many nodes it exposes. */
export interface AdvisoryGauge {
  readonly id: string;
  readonly severity: string;
  readonly nodes: number;
}

/** What the fleet gauges are read from, at each scrape. */
export interface FleetSources {
  readonly registry: Pick<NodeRegistry, "all" | "state">;
  readonly queue: Pick<BuildQueue, "planner" | "plan">;
  readonly installs: () => Readonly<{ installedBinary: number; compiledLocally: number }>;
  readonly advisories: () => readonly AdvisoryGauge[];
}

/** Builds take seconds (a tiny package) to hours (a browser). */
const BUILD_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** Queue waits: nothing (a free slot) to a first night's backlog. */
const WAIT_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 14400, 43200];

/** The platform key of a variant key (`<platform>|<cpv>|<use>`). */
const platformOf = (variant: string): string => variant.slice(0, Math.max(0, variant.indexOf("|")));

/** `f`'s value, computed at the first call and kept. */
function once<T>(f: () => T): () => T {
  let kept: { readonly value: T } | undefined;
  return () => (kept ??= { value: f() }).value;
}

/** The fleet figures that two metrics each show. */
type SharedReads = Pick<FleetSources, "installs" | "advisories">;

/**
 * The coordinator's /metrics, with prom-client: counters of what happened since start (builds by
 * result, binhost requests by status), histograms of build durations and queue waits, gauges of
 * the fleet read at each scrape, and the process and Node.js default metrics. One registry per
 * coordinator, so several in one process (tests) do not share counters.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly builds: Counter<"platform" | "result">;
  private readonly buildDuration: Histogram<"platform" | "result">;
  private readonly queueWait: Histogram<"platform">;
  private readonly requests: Counter<"method" | "code">;
  /** When this process queued each variant not started yet (jobs queued by an earlier process are not timed). */
  private readonly queuedAt = new Map<string, number>();
  /** The last record seen of each variant: which attempt, and whether it had ended. */
  private readonly seen = new Map<string, { readonly run: string; readonly ended: boolean }>();
  private fleet: FleetSources | undefined;
  /**
   * The shared reads of the render() under way, each computed at most once: advisories() walks
   * every node's report, and installs and the hit ratio (or the two GLSA gauges) must show the same
   * figures. A metric read alone (registry.getSingleMetric) finds none and reads the fleet itself.
   */
  private scrape: SharedReads | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges _total, which the exposition rules keep for counters (promtool
    // says so); nodejs_active_handles{type}, …_requests{type}, …_resources{type} hold the same counts.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) this.registry.removeSingleMetric(name);
    const registers = [this.registry];
    this.builds = new Counter({ name: "binfleet_builds_total", help: "Builds ended since start, by platform and result (succeeded, failed).", labelNames: ["platform", "result"], registers });
    this.buildDuration = new Histogram({ name: "binfleet_build_duration_seconds", help: "Wall time of the builds in binfleet_builds_total.", labelNames: ["platform", "result"], buckets: BUILD_BUCKETS, registers });
    this.queueWait = new Histogram({ name: "binfleet_build_queue_wait_seconds", help: "Time from a variant being queued by this process to a builder starting it.", labelNames: ["platform"], buckets: WAIT_BUCKETS, registers });
    this.requests = new Counter({ name: "binfleet_binhost_http_requests_total", help: "Requests the binhost's HTTP server answered, by method and status code.", labelNames: ["method", "code"], registers });
  }

  /** The fleet's gauges, read from `s` at each scrape. */
  observeFleet(s: FleetSources): void {
    this.fleet = s;
    const shared = (): SharedReads => this.scrape ?? s;
    const registers = [this.registry];
    new Gauge({
      name: "binfleet_nodes",
      help: "Nodes by platform and state.",
      labelNames: ["platform", "state"],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const n of s.registry.all()) this.inc({ platform: n.platformKey, state: s.registry.state(n, now) });
      },
    });
    new Gauge({
      name: "binfleet_build_list",
      help: "Variants some node would compile and the binhost lacks, by build state.",
      labelNames: ["platform", "state"],
      registers,
      collect() {
        this.reset();
        for (const pk of s.queue.planner.platformKeys()) for (const e of s.queue.plan(pk)) this.inc({ platform: pk, state: e.state });
      },
    });
    new Counter({
      name: "binfleet_node_installs_total",
      help: "Packages nodes installed in binfleet commands since start, by kind (binary, compiled).",
      labelNames: ["kind"],
      registers,
      // The fleet counts them; the counter shows its figures, which only grow.
      collect() {
        const i = shared().installs();
        this.reset();
        this.inc({ kind: "binary" }, i.installedBinary);
        this.inc({ kind: "compiled" }, i.compiledLocally);
      },
    });
    new Gauge({
      name: "binfleet_cache_hit_ratio",
      help: "Binary installs / all installs on nodes since start.",
      registers,
      collect() {
        const i = shared().installs();
        const all = i.installedBinary + i.compiledLocally;
        this.set(all === 0 ? 0 : i.installedBinary / all);
      },
    });
    new Gauge({
      name: "binfleet_glsa_exposed_nodes",
      help: "Nodes whose latest report has a version a security advisory (GLSA) of the builders' tree affects, by advisory and severity.",
      labelNames: ["glsa", "severity"],
      registers,
      collect() {
        this.reset();
        for (const a of shared().advisories()) if (a.nodes > 0) this.set({ glsa: a.id, severity: a.severity }, a.nodes);
      },
    });
    new Gauge({
      name: "binfleet_glsa_exposures",
      help: "Node exposures to security advisories, by severity (a node exposed to two advisories counts twice).",
      labelNames: ["severity"],
      registers,
      collect() {
        this.reset();
        for (const a of shared().advisories()) if (a.nodes > 0) this.inc({ severity: a.severity }, a.nodes);
      },
    });
  }

  /** This process queued a variant: its wait runs until a builder starts it. */
  buildQueued(variant: string, at = Date.now()): void {
    if (!this.queuedAt.has(variant)) this.queuedAt.set(variant, at);
  }

  /** Records the board held before this process started: their builds are not counted again. */
  seed(records: Iterable<BuildRecord>): void {
    for (const r of records) this.seen.set(r.key, { run: `${r.attempt}|${r.startedAt}`, ended: r.state !== "running" });
  }

  /**
   * A build record as the board shows it (every write, lease renewals included): a new run ends
   * its variant's queue wait; a run that ends is counted once, with its duration.
   */
  buildRecord(r: BuildRecord): void {
    const run = `${r.attempt}|${r.startedAt}`;
    const prev = this.seen.get(r.key);
    const platform = platformOf(r.key);
    const queued = this.queuedAt.get(r.key);
    if (prev?.run !== run && queued !== undefined) {
      this.queueWait.observe({ platform }, Math.max(0, (r.startedAt - queued) / 1000));
      this.queuedAt.delete(r.key);
    }
    const ended = r.state !== "running";
    if (ended && (prev?.run !== run || !prev.ended)) {
      this.builds.inc({ platform, result: r.state });
      this.buildDuration.observe({ platform, result: r.state }, Math.max(0, (r.finishedAt - r.startedAt) / 1000));
    }
    this.seen.set(r.key, { run, ended });
  }

  /** The memory the binhost's cache of served files holds, read at each scrape (next to `http.cacheMiB`). */
  observeServedFileCache(bytes: () => number): void {
    new Gauge({
      name: "binfleet_binhost_cache_bytes",
      help: "Bytes of package files the binhost holds in memory to serve (http.cacheMiB bounds it).",
      registers: [this.registry],
      collect() {
        this.set(bytes());
      },
    });
  }

  /** The binhost answered a request. */
  httpResponse(method: string, status: number): void {
    this.requests.inc({ method: ["GET", "HEAD"].includes(method) ? method : "other", code: String(status) });
  }

  /** The Prometheus text exposition; the fleet's shared figures are read once for it. */
  async render(): Promise<string> {
    const s = this.fleet;
    const scrape = s && { installs: once(() => s.installs()), advisories: once(() => s.advisories()) };
    this.scrape = scrape;
    try {
      return await this.registry.metrics();
    } finally {
      // A render that started meanwhile has put its own in place: leave that one.
      if (this.scrape === scrape) this.scrape = undefined;
    }
  }
}
