import { createHash } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { subjects } from "@binfleet/bus";
import { ApiError, type Caller } from "@binfleet/api";
import { type Atom, type Logger, atomMatches, parseAtom, parseCpv } from "@binfleet/shared";
import { BuildJobSchema } from "@binfleet/shared/wire";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { ensureBuildQueue } from "../builders/builder-pool.js";
import type { PlatformCatalog } from "../builders/platform-catalog.js";
import { recordKey } from "../builders/builder-worker.js";
import type { PlatformConfig } from "../config/coordinator-config.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import type { BuildBoard } from "./build-board.js";
import type { BuildEstimates } from "./build-estimates.js";
import type { BuildItem, BuildPlanner } from "./build-planner.js";
import type { PolicyStore } from "./policy-store.js";
import type { QueuedWork } from "./queued-work.js";

/** A variant in the build list with where it stands, for `binfleet plan`. */
export interface PlanEntry {
  readonly id: string;
  readonly item: BuildItem;
  readonly state: "waiting-approval" | "queued" | "running" | "failed" | "succeeded";
}

export interface BuildQueueOptions {
  readonly planner: BuildPlanner;
  readonly policy: PolicyStore;
  readonly board: BuildBoard;
  readonly estimates: BuildEstimates;
  readonly queuedWork: QueuedWork;
  readonly registry: NodeRegistry;
  readonly platforms: PlatformCatalog;
  readonly commands: CommandSender;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** How long a builder holds a job before another may take it (the queues' ack wait). */
  readonly leaseSeconds: number;
  /** The snapshot nodes must be on to be planned ("" without a mirror: every node counts). */
  readonly fleetSnapshot: () => string;
  /** A variant was queued (its queue wait starts). */
  readonly queued?: (variant: string) => void;
  readonly log: Logger;
}

/**
 * Turns nodes' needs into one deduplicated build list per platform and queues what may be built:
 * each variant once, in build order, minus what the binhost holds, what is held, and what waits
 * for approval. The BINFLEET_BUILDS work queue carries the jobs to builder workers.
 */
export class BuildQueue {
  /** The snapshot each node behind was last told to sync to. */
  private readonly toldToSync = new Map<string, string>();
  /**
   * Security builds (`binfleet glsa fix`), by variant key: a fixing version is not necessarily on
   * any node's plan. They are in `plan`, approved like the others, and queued on their platform's
   * security subject, which builder slots take before anything else.
   */
  private readonly security = new Map<string, BuildItem>();
  private queuedTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: BuildQueueOptions) {}

  get planner(): BuildPlanner {
    return this.o.planner;
  }

  get policy(): PolicyStore {
    return this.o.policy;
  }

  /** Whether a node's snapshot is not the fleet's (never, without a mirror). */
  snapshotBehind(snapshotId: string): boolean {
    const fleet = this.o.fleetSnapshot();
    return fleet !== "" && snapshotId !== fleet;
  }

  /** Re-plans one node from its latest report; queues the variants it added. Returns how many it added. */
  async replan(nodeId: string, nonce = ""): Promise<number> {
    const n = this.o.registry.get(nodeId)!;
    // A node behind the fleet's snapshot plans against other ebuilds than the builders have: its
    // needs are not build input until it syncs (it is told to, once per snapshot).
    if (this.snapshotBehind(n.snapshotId)) {
      this.o.planner.updateNode({ nodeId, platformKey: n.platformKey, wants: [] });
      const fleet = this.o.fleetSnapshot();
      if (this.toldToSync.get(nodeId) !== fleet) {
        this.toldToSync.set(nodeId, fleet);
        await this.o.commands.send(nodeId, { case: "sync", value: { snapshotId: fleet } });
      }
      return 0;
    }
    // Held packages are never built: the node compiles them, and they do not block its update.
    // Nor is anything the builders' tree lacks: a report names packages, it does not make them.
    const tree = this.o.platforms.tree(n.platformKey);
    const wants = [];
    for (const p of n.pending) {
      if (p.binary || this.o.policy.holdFor(n.platformKey, p.cpv) !== null) continue;
      if (tree !== undefined && !(await tree.has(p.cpv))) {
        this.o.log.warn({ node: nodeId, platform: n.platformKey, cpv: p.cpv }, "package not in the builders' tree: not built");
        continue;
      }
      wants.push(p);
    }
    const { added } = this.o.planner.updateNode({ nodeId, platformKey: n.platformKey, wants });
    await this.enqueueNew(n.platformKey, added, nonce);
    return added.length;
  }

  /** Re-plans every node of a platform ("" = all). */
  async replanAll(platformKey: string, nonce = ""): Promise<void> {
    for (const n of this.o.registry.all()) if (platformKey === "" || n.platformKey === platformKey) await this.replan(n.nodeId, nonce);
  }

  /** Queues the given variants that may be built now: security builds first, then in build-list order (dependencies first). */
  private async enqueueNew(platformKey: string, keys: readonly string[], nonce = ""): Promise<void> {
    const platform = this.o.platforms.ofKey(platformKey);
    if (platform === undefined || keys.length === 0) return;
    for (const key of keys) {
      const item = this.security.get(key);
      if (item !== undefined && !this.o.planner.isHeld(key) && !this.o.policy.needsApproval(platformKey, item.variant.cpv, key)) await this.enqueue(platform, item, nonce, true);
    }
    for (const item of this.o.planner.inBuildOrder(platformKey, keys)) {
      if (!this.o.policy.needsApproval(platformKey, item.variant.cpv, item.key)) await this.enqueue(platform, item, nonce);
    }
  }

  /**
   * Adds security builds (see `security`) and queues those that may be built now. With
   * `approvedBy`, the fix is their approval (`policy.security: auto`); otherwise those that need
   * one wait for `binfleet approve` like any build.
   */
  async queueSecurity(items: readonly BuildItem[], approvedBy: string | null): Promise<void> {
    for (const item of items) this.security.set(item.key, item);
    const todo = items.filter((i) => !this.o.planner.isHeld(i.key));
    const unapproved = todo.filter((i) => this.o.policy.needsApproval(i.variant.platformKey, i.variant.cpv, i.key));
    if (approvedBy !== null && unapproved.length > 0) await this.o.policy.approve(unapproved.map((i) => i.key), approvedBy);
    const byPlatform = new Map<string, string[]>();
    for (const i of todo) byPlatform.set(i.variant.platformKey, [...(byPlatform.get(i.variant.platformKey) ?? []), i.key]);
    for (const [pk, keys] of byPlatform) {
      const platform = this.o.platforms.ofKey(pk);
      if (platform === undefined) continue;
      for (const key of keys) {
        const item = this.security.get(key)!;
        if (!this.o.policy.needsApproval(pk, item.variant.cpv, key)) await this.enqueue(platform, item, "", true);
      }
    }
    this.changed();
  }

  private async enqueue(p: PlatformConfig, item: BuildItem, nonce: string, security = false): Promise<void> {
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
    // The variant key as message id: JetStream drops a second enqueue of the same variant (the nonce
    // lets an approval or an unhold queue again a variant that was dropped while held). A security
    // build of a variant also queued as usual is a second job: whichever comes second finds it built.
    const subject = security ? subjects.securityBuild(p.name) : subjects.build(p.name);
    // Builders may not make their queue (their bus user creates no consumer): it exists before its first job.
    await ensureBuildQueue(this.o.jsm, p.name, security, this.o.leaseSeconds);
    await this.o.js.publish(subject, toBinary(BuildJobSchema, job), { msgID: createHash("sha256").update(`${item.key}${nonce}${security ? "|security" : ""}`).digest("hex") });
    this.o.queued?.(item.key);
    this.o.log.info({ variant: item.key, security }, "build queued");
    this.changed();
  }

  /**
   * Publishes the work queued per platform soon. Changes coming together are published once: the
   * figures walk every platform's build list (all of them, since one build's duration changes the
   * estimates of every platform), which on a first night at 10,000 nodes is 100,000s of variants.
   */
  changed(): void {
    this.queuedTimer ??= setTimeout(() => {
      this.queuedTimer = null;
      void this.publishQueuedWork().catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, "queued work not published"));
    }, 500);
  }

  stop(): void {
    if (this.queuedTimer !== null) clearTimeout(this.queuedTimer);
  }

  /** Each platform's queued variants and their estimated build time: builder slots serve security builds, then the most loaded first. */
  private async publishQueuedWork(): Promise<void> {
    for (const p of this.o.platforms.all()) {
      const queued = this.plan(p.key).filter((e) => e.state === "queued");
      const urgent = queued.filter((e) => this.security.has(e.item.key)).length;
      await this.o.queuedWork.publish(p.name, { seconds: Math.round(queued.reduce((s, e) => s + this.o.estimates.estimate(e.item.variant.cpv), 0)), jobs: queued.length, urgent });
    }
  }

  /** The build list of a platform, each variant with its state; security builds first. */
  plan(platformKey: string): PlanEntry[] {
    const list = this.o.planner.buildList(platformKey);
    const security = this.securityItems(platformKey);
    const first = new Set(security.map((i) => i.key));
    return [...security, ...(first.size === 0 ? list : list.filter((i) => !first.has(i.key)))].map((item) => ({ id: recordKey(item.key), item, state: this.stateOf(platformKey, item) }));
  }

  /** A platform's security builds the binhost does not hold yet (those it holds are done with). */
  private securityItems(platformKey: string): BuildItem[] {
    const out: BuildItem[] = [];
    for (const [key, item] of this.security) {
      if (this.o.planner.isHeld(key)) this.security.delete(key);
      else if (item.variant.platformKey === platformKey) out.push(item);
    }
    return out;
  }

  /** Where a variant of the build list stands: its build's state, or whether it waits for approval or a builder. */
  private stateOf(platformKey: string, item: BuildItem): PlanEntry["state"] {
    const r = this.o.board.get(item.key);
    if (r !== undefined && r.state !== "succeeded") return r.state;
    if (this.o.policy.needsApproval(platformKey, item.variant.cpv, item.key)) return "waiting-approval";
    return r?.state === "succeeded" ? "succeeded" : "queued";
  }

  /**
   * Approves variants of the build list, by id (or an unambiguous prefix of 8+ hex digits)
   * or by atom (every variant it matches), or all waiting ones of a platform; queues them.
   */
  async approve(selectors: readonly string[], all: boolean, platformKey: string, caller: Caller): Promise<string[]> {
    const keys = platformKey === "" ? this.o.planner.platformKeys() : [platformKey];
    const waiting = keys.flatMap((pk) => this.plan(pk)).filter((e) => e.state === "waiting-approval");
    let chosen: PlanEntry[];
    if (all) {
      if (platformKey === "") throw new ApiError("invalid-argument", "--all needs --platform");
      chosen = waiting;
    } else {
      if (selectors.length === 0) throw new ApiError("invalid-argument", "name variant ids or atoms to approve, or --all --platform P");
      chosen = selectors.flatMap((s) => this.matchWaiting(waiting, s));
    }
    await this.o.policy.approve(chosen.map((e) => e.item.key), caller.name);
    const byPlatform = new Map<string, string[]>();
    for (const e of chosen) byPlatform.set(e.item.variant.platformKey, [...(byPlatform.get(e.item.variant.platformKey) ?? []), e.item.key]);
    for (const [pk, ks] of byPlatform) await this.enqueueNew(pk, ks, `approved-${Date.now()}`);
    this.o.log.info({ by: caller.name, role: caller.role, variants: chosen.map((e) => e.item.key) }, "variants approved");
    return chosen.map((e) => e.id);
  }

  private matchWaiting(waiting: readonly PlanEntry[], s: string): PlanEntry[] {
    let match: PlanEntry[];
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
    return match;
  }

  async hold(atom: string, platformKey: string, reason: string, caller: Caller): Promise<void> {
    try {
      await this.o.policy.hold(atom, platformKey, reason, caller.name);
    } catch (err) {
      throw new ApiError("invalid-argument", `invalid atom '${atom}': ${(err as Error).message}`, { cause: err });
    }
    await this.replanAll(platformKey);
    this.o.log.info({ by: caller.name, role: caller.role, atom, platform: platformKey, reason }, "package held");
  }

  async unhold(atom: string, platformKey: string, caller: Caller): Promise<void> {
    if (!(await this.o.policy.unhold(atom, platformKey))) throw new ApiError("not-found", `no hold on ${atom}${platformKey === "" ? "" : ` for ${platformKey}`}`);
    await this.replanAll(platformKey, `unheld-${Date.now()}`);
    this.o.log.info({ by: caller.name, role: caller.role, atom, platform: platformKey }, "package unheld");
  }
}
