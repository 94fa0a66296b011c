import { ApiError, type Caller } from "@binfleet/api";
import type { Logger } from "@binfleet/shared";
import type { PlatformCatalog } from "../builders/platform-catalog.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { BuildBoard } from "../planning/build-board.js";
import type { BuildItem } from "../planning/build-planner.js";
import type { BuildQueue, PlanEntry } from "../planning/build-queue.js";
import type { Preflight, Rollout, RolloutManager } from "../rollouts/rollout-manager.js";
import type { ExposureTracker } from "./exposure-tracker.js";
import { planFix } from "./fix-plan.js";
import type { FixRecord, GlsaStore } from "./glsa-store.js";

export type FixState = "waiting-approval" | "building" | "rolling-out" | "closed" | "halted";

export interface FixOptions {
  readonly canary: number;
  readonly maxInFlight: number;
  readonly maxFailurePercent: number;
}

export interface AdvisoryFixerOptions {
  readonly tracker: ExposureTracker;
  readonly store: GlsaStore;
  readonly queue: Pick<BuildQueue, "queueSecurity" | "planner" | "policy">;
  readonly rollouts: Pick<RolloutManager, "start" | "get">;
  readonly registry: NodeRegistry;
  readonly platforms: Pick<PlatformCatalog, "ofKey">;
  readonly board: Pick<BuildBoard, "get">;
  /** policy.security: "auto" makes the fix its builds' approval. */
  readonly security: "auto" | "approve";
  /** A node behind the fleet's snapshot may lack the fixing ebuild: it syncs first. */
  readonly snapshotBehind: (node: string) => boolean;
  readonly binarySize: (variant: string) => number | undefined;
  readonly now?: () => number;
  readonly log: Logger;
}

/** A fix's build of one variant, where it stands. */
export interface FixBuild {
  readonly key: string;
  readonly variant: FixRecord["variants"][number];
  readonly state: PlanEntry["state"];
}

const toItem = (v: FixRecord["variants"][number]): BuildItem => ({ key: v.key, variant: { platformKey: v.platformKey, cpv: v.cpv, use: v.use, disabled: v.disabled }, wantedBy: v.wantedBy });

/**
 * `binfleet glsa fix`: queues the fixing versions for every affected platform variant ahead of
 * other work (approved by the fix under `policy.security: auto`), then runs an expedited rollout
 * of exactly those packages on exactly the exposed nodes, canary first; a node offline meanwhile
 * is updated when it returns. The advisory is closed once no node reports a vulnerable version.
 * Fixes live in the `binfleet-glsa` bucket: after a restart their builds and rollout go on.
 */
export class AdvisoryFixer {
  private readonly fixes = new Map<string, FixRecord>();
  private readonly now: () => number;

  constructor(private readonly o: AdvisoryFixerOptions) {
    this.now = o.now ?? Date.now;
    o.tracker.onChange((ids) => void this.closeFixed(ids).catch((err: unknown) => o.log.error({ err }, "advisory fix not updated")));
  }

  /** Takes in the fixes of an earlier run; open ones queue their builds again (a build already made is not made twice). */
  async restore(fixes: readonly FixRecord[]): Promise<void> {
    for (const f of fixes) {
      this.fixes.set(f.glsa, f);
      if (f.closedAt === 0) await this.o.queue.queueSecurity(f.variants.map(toItem), null);
    }
    await this.closeFixed(new Set(fixes.map((f) => f.glsa)));
  }

  get(id: string): FixRecord | undefined {
    return this.fixes.get(id);
  }

  async fix(id: string, options: FixOptions, caller: Caller): Promise<{ fix: FixRecord; rollout: Rollout; unfixable: readonly string[] }> {
    if (this.o.tracker.advisory(id) === undefined) throw new ApiError("not-found", `no advisory ${id} in the builders' tree`);
    const open = this.fixes.get(id);
    if (open !== undefined && (this.state(open) === "waiting-approval" || this.state(open) === "building" || this.state(open) === "rolling-out")) {
      throw new ApiError("failed-precondition", `GLSA ${id} is being fixed already (rollout ${open.rolloutId})`);
    }
    const exposures = this.o.tracker.exposed(id);
    if (exposures.length === 0) throw new ApiError("failed-precondition", `no node reports a version GLSA ${id} affects`);
    const plan = planFix(exposures, {
      hasBuilder: (pk) => this.o.platforms.ofKey(pk) !== undefined,
      pending: (node) => this.o.registry.get(node)?.pending ?? [],
      installed: (node) => this.o.tracker.installed(node),
      iuse: (pk, cpv) => this.o.tracker.iuse(pk, cpv),
    });
    const targets = Object.fromEntries(Object.entries(plan.nodes).map(([node, n]) => [node, n.atoms]));
    if (Object.keys(targets).length === 0) throw new ApiError("failed-precondition", `no version the builders' tree offers fixes GLSA ${id} on ${plan.unfixable.join(", ")}`);
    const record: FixRecord = {
      glsa: id,
      by: caller.name,
      startedAt: this.now(),
      closedAt: 0,
      rolloutId: "",
      variants: plan.builds.map((b) => ({ key: b.key, platformKey: b.variant.platformKey, cpv: b.variant.cpv, use: [...b.variant.use], disabled: [...(b.variant.disabled ?? [])], wantedBy: [...b.wantedBy] })),
      nodes: Object.fromEntries(Object.entries(plan.nodes).map(([node, n]) => [node, { atoms: [...n.atoms], variants: [...n.variants] }])),
    };
    // Known before the rollout starts: its first step asks which nodes are ready.
    this.fixes.set(id, record);
    await this.o.queue.queueSecurity(record.variants.map(toItem), this.o.security === "auto" ? `${caller.name} (binfleet glsa fix ${id})` : null);
    const rollout = await this.o.rollouts.start({ platformKey: "", canary: options.canary, maxInFlight: options.maxInFlight, maxFailurePercent: options.maxFailurePercent, window: "", targets, purpose: `GLSA ${id}` }, false);
    record.rolloutId = rollout.id;
    await this.o.store.putFix(record);
    this.o.log.info({ by: caller.name, role: caller.role, glsa: id, nodes: Object.keys(targets), builds: record.variants.map((v) => v.key), unfixable: plan.unfixable, rollout: rollout.id, approval: this.o.security }, "advisory fix started");
    return { fix: record, rollout, unfixable: plan.unfixable };
  }

  /** Where a fix stands. */
  state(f: FixRecord): FixState {
    if (f.closedAt > 0) return "closed";
    const r = this.rollout(f);
    if (r?.state === "halted" || r?.state === "aborted") return "halted";
    const builds = this.builds(f);
    if (builds.some((b) => b.state === "waiting-approval")) return "waiting-approval";
    return builds.every((b) => b.state === "succeeded") ? "rolling-out" : "building";
  }

  /** Each variant the fix builds, with its state. */
  builds(f: FixRecord): FixBuild[] {
    return f.variants.map((v) => {
      if (this.o.queue.planner.isHeld(v.key)) return { key: v.key, variant: v, state: "succeeded" };
      const r = this.o.board.get(v.key);
      if (r !== undefined && r.state !== "succeeded") return { key: v.key, variant: v, state: r.state };
      return { key: v.key, variant: v, state: this.o.queue.policy.needsApproval(v.platformKey, v.cpv, v.key) ? "waiting-approval" : "queued" };
    });
  }

  /**
   * A fix's rollout may update the node: the fixing binaries it takes are on its binhost (or it
   * compiles them: no builder), and it is not running an emerge already (its agent would refuse
   * a second one: an update told by policy.notify auto, say).
   */
  ready(node: string, atoms: readonly string[]): boolean {
    if (this.o.snapshotBehind(node) || this.o.registry.get(node)?.agentState === "emerging") return false;
    const keys = this.variantsFor(node, atoms);
    return keys !== null && keys.every((k) => this.o.queue.planner.isHeld(k));
  }

  /** What a fix's update does to a node: the fixing binaries (or compiles, without a builder) and their size. */
  preflight(node: string, atoms: readonly string[]): Preflight {
    const keys = this.variantsFor(node, atoms) ?? [];
    const compiles = atoms.length - keys.length;
    return { binaryCount: keys.length, compileCount: Math.max(0, compiles), downloadBytes: keys.reduce((s, k) => s + (this.o.binarySize(k) ?? 0), 0) };
  }

  private variantsFor(node: string, atoms: readonly string[]): readonly string[] | null {
    for (const f of this.fixes.values()) {
      // Node ids are keys of a plain object: only its own ones count ("constructor" is a valid node id).
      const n = Object.hasOwn(f.nodes, node) ? f.nodes[node] : undefined;
      if (n !== undefined && n.atoms.length === atoms.length && n.atoms.every((a, i) => a === atoms[i])) return n.variants;
    }
    return null;
  }

  private rollout(f: FixRecord): Rollout | undefined {
    if (f.rolloutId === "") return undefined;
    try {
      return this.o.rollouts.get(f.rolloutId);
    } catch {
      return undefined;
    }
  }

  /** An open fix whose advisory no node is exposed to any more is closed. */
  private async closeFixed(ids: ReadonlySet<string>): Promise<void> {
    for (const id of ids) {
      const f = this.fixes.get(id);
      if (f === undefined || f.closedAt > 0 || f.rolloutId === "" || this.o.tracker.exposed(id).length > 0) continue;
      f.closedAt = this.now();
      await this.o.store.putFix(f);
      this.o.log.info({ glsa: id, seconds: Math.round((f.closedAt - f.startedAt) / 1000), rollout: f.rolloutId }, "advisory closed");
    }
  }
}
