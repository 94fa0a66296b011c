import { randomUUID } from "node:crypto";
import { ApiError } from "@binfleet/api";
import type { Logger } from "@binfleet/shared";
import { type MaintenanceWindow, parseMaintenanceWindow } from "./maintenance-window.js";


export interface RolloutOptions {
  /** Empty: every platform. */
  readonly platformKey: string;
  /** Nodes updated first, alone; any canary failure halts the rollout. */
  readonly canary: number;
  readonly maxInFlight: number;
  /** Halt once failed nodes exceed this share of the rollout's nodes. */
  readonly maxFailurePercent: number;
  /** `[Day,…] HH:MM-HH:MM` UTC; empty: any time. */
  readonly window: string;
  /**
   * Only these nodes, each updating only its atoms (`emerge --oneshot --update`), as
   * `binfleet glsa fix` asks; absent: every node of the platform, @world. Such a rollout runs
   * beside a fleet-wide one: it touches only the packages it names.
   */
  readonly targets?: Readonly<Record<string, readonly string[]>>;
  /** Why it runs ("GLSA 202611-01"); empty for a fleet-wide rollout. */
  readonly purpose?: string;
}

/**
 * running: dispatching; paused: no new dispatches (running updates finish);
 * halted: stopped by failures (resume to go on); aborted: stopped by an operator; done.
 */
export type RolloutState = "running" | "paused" | "halted" | "aborted" | "done";
/** current: nothing to update when the rollout started. */
export type RolloutNodeState = "waiting" | "offline" | "updating" | "succeeded" | "failed" | "current";

export interface RolloutNode {
  readonly nodeId: string;
  state: RolloutNodeState;
  readonly canary: boolean;
  commandId: string;
  error: string;
  dispatchedAt: number;
  readonly binaryCount: number;
  readonly compileCount: number;
  readonly downloadBytes: number;
  /** What the node updates; empty (or absent, in rollouts saved before targets): @world. */
  readonly atoms?: readonly string[];
}

export interface Rollout {
  readonly id: string;
  readonly options: RolloutOptions;
  state: RolloutState;
  /** Why the rollout is where it is ("canary n1 failed: …", "outside window …"). */
  reason: string;
  readonly nodes: RolloutNode[];
  readonly startedAt: number;
  updatedAt: number;
}

export interface Preflight {
  readonly binaryCount: number;
  readonly compileCount: number;
  readonly downloadBytes: number;
}

/** What the rollout manager needs from the coordinator. */
export interface RolloutHost {
  /** Nodes a rollout on the platform ("" = all) covers, sorted. */
  nodesOf(platformKey: string): string[];
  /** What updating the node would do: its whole plan, or only `atoms` when there are any. */
  preflight(nodeId: string, atoms: readonly string[]): Preflight;
  online(nodeId: string): boolean;
  /** Everything the node would compile that binfleet builds (of `atoms`, when there are any) is on its binhost. */
  ready(nodeId: string, atoms: readonly string[]): boolean;
  /**
   * Sends each node its signed update command with its id, as one batch (agents pass over an id
   * they have seen: resending is safe); a node's atoms empty: @world.
   */
  sendUpdates(rolloutId: string, updates: readonly { readonly nodeId: string; readonly commandId: string; readonly atoms?: readonly string[] }[]): Promise<void>;
  save(r: Rollout): Promise<void>;
  now(): number;
}

/** A rollout request that cannot be done: an API error the caller sees as is. */
export class RolloutError extends ApiError {
  override readonly name = "RolloutError";
  constructor(message: string, kind: "not-found" | "failed-precondition" | "invalid-argument") {
    super(kind, message);
  }
}

const TERMINAL: ReadonlySet<RolloutNodeState> = new Set(["succeeded", "failed", "current"]);

/**
 * Fleet-wide `emerge -g` in waves: canaries first, then at most maxInFlight
 * nodes at a time, halting when failures pass the threshold, dispatching only
 * inside the maintenance window. Nodes offline at their turn are updated when
 * they come back. State lives in KV (saved on every change), so a restarted
 * coordinator resumes; an update already sent is not sent again.
 */
export class RolloutManager {
  private readonly rollouts = new Map<string, Rollout>();
  private readonly windows = new Map<string, MaintenanceWindow>();
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: RolloutHost,
    private readonly log: Logger,
    /** An update without an outcome after this long counts as failed. */
    private readonly nodeTimeoutMs: number,
  ) {}

  /**
   * Restores rollouts saved by an earlier run and resends the update of every
   * node caught mid-dispatch: the agent runs a command id once, so a node that
   * already got it is not updated twice, and one that did not gets it now.
   */
  async load(saved: Iterable<Rollout>): Promise<void> {
    for (const r of saved) {
      this.rollouts.set(r.id, r);
      if (r.state !== "running" && r.state !== "paused") continue;
      const inFlight = r.nodes.filter((n) => n.state === "updating");
      if (inFlight.length > 0) await this.host.sendUpdates(r.id, inFlight);
      this.log.info({ rollout: r.id, state: r.state, resent: inFlight.map((n) => n.nodeId) }, "rollout resumed");
    }
  }

  list(): Rollout[] {
    return [...this.rollouts.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  get(id: string): Rollout {
    const r = id === "" ? this.list().at(-1) : this.rollouts.get(id);
    if (r === undefined) throw new RolloutError(id === "" ? "no rollout has been started" : `no rollout ${id}`, "not-found");
    return r;
  }

  /** Plans a rollout; with dryRun, only returns what it would do. */
  async start(options: RolloutOptions, dryRun: boolean): Promise<Rollout> {
    parseMaintenanceWindowOrThrow(options.window);
    if (options.maxInFlight < 1) throw new RolloutError("max-in-flight must be at least 1", "invalid-argument");
    const targets = options.targets;
    // Fleet-wide rollouts exclude each other; one of a few packages on a few nodes goes beside them.
    const active = targets === undefined ? this.list().find((r) => r.options.targets === undefined && (r.state === "running" || r.state === "paused" || r.state === "halted") && (r.options.platformKey === "" || options.platformKey === "" || r.options.platformKey === options.platformKey)) : undefined;
    if (!dryRun && active !== undefined) throw new RolloutError(`rollout ${active.id} is ${active.state} on an overlapping set of nodes: abort it first`, "failed-precondition");
    const now = this.host.now();
    const ids = targets === undefined ? this.host.nodesOf(options.platformKey) : Object.keys(targets).sort();
    let canaries = 0;
    const nodes = ids.map((nodeId): RolloutNode => {
      const atoms = targets?.[nodeId] ?? [];
      const pf = this.host.preflight(nodeId, atoms);
      const todo = targets === undefined ? pf.binaryCount + pf.compileCount > 0 : atoms.length > 0;
      // Canaries are the first online nodes that have something to update.
      const canary = todo && canaries < options.canary && this.host.online(nodeId);
      if (canary) canaries++;
      return { nodeId, state: todo ? "waiting" : "current", canary, commandId: "", error: "", dispatchedAt: 0, ...pf, atoms };
    });
    const r: Rollout = { id: randomUUID(), options, state: dryRun ? "done" : "running", reason: dryRun ? "dry run" : "", nodes, startedAt: now, updatedAt: now };
    if (dryRun) return r;
    this.rollouts.set(r.id, r);
    await this.host.save(r);
    this.log.info({ rollout: r.id, nodes: nodes.length, canaries, platform: options.platformKey, purpose: options.purpose ?? "" }, "rollout started");
    await this.tick();
    return r;
  }

  async control(id: string, action: "pause" | "resume" | "abort"): Promise<Rollout> {
    const r = this.get(id);
    if (r.state === "done" || r.state === "aborted") throw new RolloutError(`rollout ${r.id} is ${r.state}`, "failed-precondition");
    if (action === "pause") r.state = "paused";
    else if (action === "abort") r.state = "aborted";
    else r.state = "running";
    r.reason = `${action}d by operator`;
    await this.changed(r);
    await this.tick();
    return r;
  }

  /** An agent finished a command: if it was a rollout's update, record the outcome. */
  async finished(nodeId: string, commandId: string, success: boolean, error: string): Promise<void> {
    for (const r of this.rollouts.values()) {
      const n = r.nodes.find((x) => x.nodeId === nodeId && x.commandId === commandId);
      if (n === undefined || TERMINAL.has(n.state)) continue;
      n.state = success ? "succeeded" : "failed";
      n.error = error;
      this.log.info({ rollout: r.id, node: nodeId, success }, "rollout node finished");
      await this.changed(r);
    }
    await this.tick();
  }

  /** Advances every running rollout; serialized, so two ticks never dispatch the same node. */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.advanceAll()).catch((err: unknown) => this.log.error({ err }, "rollout step failed"));
    return this.ticking;
  }

  private async advanceAll(): Promise<void> {
    for (const r of this.rollouts.values()) if (r.state === "running" || r.state === "paused") await this.advance(r);
  }

  private async advance(r: Rollout): Promise<void> {
    const now = this.host.now();
    let dirty = false;
    for (const n of r.nodes) {
      if (n.state === "updating" && now - n.dispatchedAt > this.nodeTimeoutMs) {
        n.state = "failed";
        n.error = `no outcome within ${Math.round(this.nodeTimeoutMs / 1000)} s`;
        dirty = true;
      }
    }
    const failed = r.nodes.filter((n) => n.state === "failed");
    const canaryFailed = failed.find((n) => n.canary);
    if (canaryFailed !== undefined || failed.length * 100 > r.options.maxFailurePercent * r.nodes.length) {
      r.state = "halted";
      r.reason = canaryFailed !== undefined ? `canary ${canaryFailed.nodeId} failed: ${canaryFailed.error}` : `${failed.length} of ${r.nodes.length} nodes failed (limit ${r.options.maxFailurePercent}%)`;
      this.log.warn({ rollout: r.id, reason: r.reason }, "rollout halted");
      await this.changed(r);
      return;
    }
    if (r.nodes.every((n) => TERMINAL.has(n.state))) {
      r.state = "done";
      r.reason = `${r.nodes.filter((n) => n.state === "succeeded").length} updated, ${r.nodes.filter((n) => n.state === "current").length} already current`;
      this.log.info({ rollout: r.id }, "rollout done");
      await this.changed(r);
      return;
    }
    if (r.state === "paused") {
      if (dirty) await this.changed(r);
      return;
    }
    if (!this.window(r.options.window).isOpen(new Date(now))) {
      const reason = `outside maintenance window ${r.options.window}`;
      if (dirty || r.reason !== reason) {
        r.reason = reason;
        await this.changed(r);
      }
      return;
    }
    // Canaries run alone: nobody else starts until every canary has succeeded.
    const canariesPending = r.nodes.some((n) => n.canary && n.state !== "succeeded");
    const eligible = r.nodes.filter((n) => (n.state === "waiting" || n.state === "offline") && (!canariesPending || n.canary));
    let inFlight = r.nodes.filter((n) => n.state === "updating").length;
    // An agent runs one emerge at a time (it refuses another meanwhile): a node another rollout is updating waits its turn.
    const busy = new Set<string>();
    for (const other of this.rollouts.values()) if (other !== r) for (const n of other.nodes) if (n.state === "updating") busy.add(n.nodeId);
    const dispatched: RolloutNode[] = [];
    for (const n of eligible) {
      if (inFlight >= r.options.maxInFlight && !n.canary) break;
      if (busy.has(n.nodeId)) continue;
      if (!this.host.online(n.nodeId)) {
        if (n.state !== "offline") {
          n.state = "offline";
          dirty = true;
        }
        continue;
      }
      if (!this.host.ready(n.nodeId, n.atoms ?? [])) continue;
      n.state = "updating";
      n.dispatchedAt = now;
      n.commandId = randomUUID();
      dispatched.push(n);
      inFlight++;
      dirty = true;
    }
    if (dirty) await this.changed(r);
    // Saved before sending, with the commands' ids: after a crash between the two, load() resends the same commands.
    if (dispatched.length > 0) await this.host.sendUpdates(r.id, dispatched);
  }

  private window(spec: string): MaintenanceWindow {
    let w = this.windows.get(spec);
    if (w === undefined) this.windows.set(spec, (w = parseMaintenanceWindow(spec)));
    return w;
  }

  private async changed(r: Rollout): Promise<void> {
    r.updatedAt = this.host.now();
    await this.host.save(r);
  }
}

function parseMaintenanceWindowOrThrow(spec: string): void {
  try {
    parseMaintenanceWindow(spec);
  } catch (err) {
    throw new RolloutError((err as Error).message, "invalid-argument");
  }
}
