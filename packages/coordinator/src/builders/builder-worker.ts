import type { SerialLock } from "@binfleet/daemon";
import { createHash } from "node:crypto";
import { setInterval as every } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { type Logger, parseEmergePretend } from "@binfleet/shared";
import { type BuildJob, BuildJobSchema } from "@binfleet/shared/wire";
import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { type Variant, variantKey } from "../planning/build-planner.js";
import type { CompileClaims } from "./compile-claims.js";
import { type PortageTool, type RootCommandOptions, type RootCommandResult, layoutOf, runInRoot } from "./root-portage.js";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";

export type BuildStateName = "running" | "succeeded" | "failed";

/** A variant's build record in the KV bucket: the idempotency record for platform + cpv + USE. */
export interface BuildRecord {
  readonly key: string;
  readonly state: BuildStateName;
  readonly builder: string;
  readonly attempt: number;
  readonly startedAt: number;
  /** Last time the building worker said it is alive; a record not renewed for buildLeaseSeconds is taken over. */
  readonly renewedAt: number;
  readonly finishedAt: number;
  readonly error: string;
  readonly logTail: readonly string[];
}

/** KV keys must be subject tokens; variant keys are not. */
export const recordKey = (variant: string): string => createHash("sha256").update(variant).digest("hex").slice(0, 40);

export interface BuilderWorkerOptions {
  /** Unique across processes: the process instance is part of it, so a dead build is never mistaken for ours. */
  readonly name: string;
  readonly platform: PlatformConfig;
  readonly config: CoordinatorConfig;
  readonly kv: KV;
  readonly log: Logger;
  /** Build output as it comes, for the build-log stream. */
  readonly onLog: (variant: string, text: string) => void;
  /** Why a queued variant must not be built now (held since it was queued), or null. */
  readonly refuse: (variant: string, cpv: string) => string | null;
  /** Whether the platform's binhost holds a variant (its Packages as it is now). */
  readonly binhostHolds: (variant: string) => Promise<boolean>;
  /** Workers sharing a builder root take turns. */
  readonly exclusive: SerialLock;
  /** With other roots building this platform into the same PKGDIR: what they compile now. */
  readonly compileClaims?: CompileClaims;
  /** Builder environment on top of the configured one (binpkg signing), read as each build starts. */
  readonly buildEnv: () => Readonly<Record<string, string>>;
}

/** Builds variants for one platform through Portage, taking jobs from the shared work queue. */
export class BuilderWorker {
  private readonly name: string;
  private readonly platform: PlatformConfig;
  private readonly config: CoordinatorConfig;
  private readonly kv: KV;
  private readonly log: Logger;

  constructor(private readonly o: BuilderWorkerOptions) {
    ({ name: this.name, platform: this.platform, config: this.config, kv: this.kv, log: this.log } = o);
  }

  /** Handles one queued job in the builder root's turn. */
  handle(m: JsMsg): Promise<void> {
    return this.o.exclusive(() => this.handleNow(m));
  }

  /** Runs a Portage tool in this worker's builder root. */
  private portage(tool: PortageTool, args: readonly string[], o: RootCommandOptions = {}): Promise<RootCommandResult> {
    return runInRoot(this.config.portage, layoutOf(this.platform), tool, args, o);
  }

  /** USE for exactly this variant: every IUSE flag of the ebuild set on or off. */
  private async useFor(v: Variant, job: BuildJob): Promise<string> {
    // The node's emerge output named every visible flag: no need to start portageq.
    if (job.useComplete) return [...job.use, ...job.useDisabled.map((f) => `-${f}`)].join(" ");
    const r = await this.portage("portageq", ["metadata", "/", "ebuild", v.cpv, "IUSE"]);
    const iuse = r.stdout.split(/\s+/).filter((f) => f !== "").map((f) => f.replace(/^[+-]/, ""));
    const on = new Set(v.use);
    return iuse.map((f) => (on.has(f) ? f : `-${f}`)).join(" ");
  }

  private async record(key: string, r: BuildRecord, revision: number | null): Promise<boolean> {
    const data = JSON.stringify(r);
    try {
      if (revision === null) await this.kv.create(recordKey(key), data);
      else await this.kv.update(recordKey(key), data, revision);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes a build's outcome over its record. The record is read again on a revision conflict; a
   * record another worker took over (its lease ran out) is left to that worker, with a warning.
   */
  private async finish(key: string, outcome: BuildRecord): Promise<void> {
    for (let tries = 0; tries < 3; tries++) {
      const latest = await this.kv.get(recordKey(key));
      const r = latest?.operation === "PUT" ? (latest.json() as BuildRecord) : null;
      if (r !== null && r.builder !== this.name) break;
      if (await this.record(key, outcome, latest?.revision ?? null)) return;
    }
    this.log.warn({ variant: key, state: outcome.state }, "build outcome not recorded: another worker holds the record");
  }

  /** The message is acked, nak'ed for a retry, or terminated. */
  private async handleNow(m: JsMsg): Promise<void> {
    let job: BuildJob;
    try {
      job = fromBinary(BuildJobSchema, m.data);
    } catch {
      this.log.error({ bytes: m.data.length }, "malformed build job dropped");
      m.term();
      return;
    }
    const variant: Variant = { platformKey: job.platformKey, cpv: job.cpv, use: [...job.use] };
    const key = variantKey(variant);
    const entry = await this.kv.get(recordKey(key));
    const current = entry !== null && entry.operation === "PUT" ? (entry.json() as BuildRecord) : null;
    // The binhost's index as it is now: a build that finished before a crash is in it.
    if (current?.state === "succeeded" || (await this.o.binhostHolds(key))) {
      if (current?.state !== "succeeded") {
        await this.record(key, { key, state: "succeeded", builder: this.name, attempt: current?.attempt ?? 1, startedAt: current?.startedAt ?? Date.now(), renewedAt: Date.now(), finishedAt: Date.now(), error: "", logTail: [] }, entry?.revision ?? null);
      }
      this.log.info({ variant: key }, "already built, not building again");
      m.ack();
      return;
    }
    const refused = this.o.refuse(key, job.cpv);
    if (refused !== null) {
      this.log.info({ variant: key, reason: refused }, "queued build dropped");
      m.term();
      return;
    }
    // Worker names carry the process instance, so after a restart a dead build is not mistaken for ours.
    const live =
      current?.state === "running" &&
      Date.now() - (current.renewedAt ?? current.startedAt) < this.config.buildLeaseSeconds * 1000 &&
      Date.now() - current.startedAt < this.config.buildTimeoutSeconds * 1000;
    if (live && current.builder !== this.name) {
      m.nak(5000);
      return;
    }
    const use = await this.useFor(variant, job);
    let release: () => void = () => undefined;
    if (this.o.compileClaims !== undefined) {
      // What this build would compile, as Portage resolves it in this root: none of it may be compiling in another root.
      const pretend = await this.portage("emerge", ["--color=n", "--pretend", "--usepkg", "--oneshot", `=${job.cpv}`], { env: { ...this.o.buildEnv(), USE: use } });
      const compiles = parseEmergePretend(pretend.stdout).entries.flatMap((e) => (e.kind === "ebuild" && e.cpv !== null ? [e.cpv] : []));
      const claimed = this.o.compileClaims.take([job.cpv, ...compiles]);
      if (claimed === null) {
        this.log.debug({ variant: key }, "waits: another root compiles part of it");
        m.nak(1000);
        return;
      }
      release = claimed;
    }
    try {
      await this.build(m, job, variant, key, current, entry?.revision ?? null, use);
    } finally {
      release();
    }
  }

  private async build(m: JsMsg, job: BuildJob, variant: Variant, key: string, current: BuildRecord | null, revision: number | null, use: string): Promise<void> {
    const attempt = (current?.attempt ?? 0) + 1;
    const startedAt = Date.now();
    const claimed = await this.record(key, { key, state: "running", builder: this.name, attempt, startedAt, renewedAt: startedAt, finishedAt: 0, error: "", logTail: [] }, revision);
    if (!claimed) {
      // Another worker changed the record first: it owns this build.
      m.nak(2000);
      return;
    }
    this.log.info({ variant: key, attempt }, "build started");
    const stop = new AbortController();
    // Tell JetStream and the KV record that the build is alive, so it is neither redelivered nor taken over.
    const renewing = (async () => {
      for await (const _ of every((this.config.buildLeaseSeconds * 1000) / 6, undefined, { signal: stop.signal })) {
        m.working();
        const e = await this.kv.get(recordKey(key));
        const r = e?.operation === "PUT" ? (e.json() as BuildRecord) : null;
        if (r?.state === "running" && r.builder === this.name) await this.record(key, { ...r, renewedAt: Date.now() }, e!.revision);
      }
    })().catch(() => undefined);
    this.o.onLog(key, `>>> binfleet: building ${job.cpv} (USE: ${variant.use.join(" ") || "none"}), attempt ${attempt} on ${this.name}\n`);
    let r;
    try {
      r = await this.portage("emerge", ["--color=n", "--buildpkg", "--usepkg", "--oneshot", `=${job.cpv}`], { env: { ...this.o.buildEnv(), USE: use }, onOutput: (text) => this.o.onLog(key, text) });
    } finally {
      stop.abort();
      // A renewal already under way would otherwise write "running" over the outcome below.
      await renewing;
    }
    const tail = r.all.split("\n").slice(-30);
    if (r.exitCode === 0 && (await this.o.binhostHolds(key))) {
      await this.finish(key, { key, state: "succeeded", builder: this.name, attempt, startedAt, renewedAt: Date.now(), finishedAt: Date.now(), error: "", logTail: tail });
      this.log.info({ variant: key }, "build succeeded");
      m.ack();
      return;
    }
    const error = r.exitCode === 0 ? "emerge succeeded but the binhost does not hold the requested variant" : `emerge exited ${r.exitCode}`;
    await this.finish(key, { key, state: "failed", builder: this.name, attempt, startedAt, renewedAt: Date.now(), finishedAt: Date.now(), error, logTail: tail });
    if (attempt < this.config.policy.maxBuildAttempts) {
      this.log.warn({ variant: key, attempt, error }, "build failed, will retry");
      m.nak(2000);
    } else {
      this.log.error({ variant: key, attempt, error, tail: tail.slice(-5) }, "build failed for good");
      m.term();
    }
  }
}

