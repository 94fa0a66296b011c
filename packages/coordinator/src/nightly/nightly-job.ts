import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@binfleet/shared";
import type { NewAdvisory, PendingUpdatesReport, PlatformPending } from "./nightly-report.js";
import { type WebhookConfig, sendWebhook } from "./nightly-webhook.js";

export type { NewAdvisory, PendingUpdatesReport, PlatformPending } from "./nightly-report.js";

/** The steps, provided by the coordinator; platformKey "" means every platform. */
export interface NightlySteps {
  /** `emerge --sync` in the builder roots (and their advisories read again), then every node is asked to sync (and so re-report). */
  sync(platformKey: string): Promise<{ nodesAsked: string[]; failed: string[] }>;
  /** Whether a node has reported since `since` (or is offline: nothing to wait for). */
  settled(node: string, since: number): boolean;
  /** `emerge --fetchonly` for each platform's build list; the names of platforms whose fetch failed. */
  fetch(platformKey: string): Promise<string[]>;
  pending(platformKey: string): PlatformPending[];
  /** Advisories exposing nodes that no report named yet; named from now on. */
  newAdvisories(): Promise<NewAdvisory[]>;
}

const DAY_MS = 24 * 3600_000;

export interface NightlyOptions {
  /** UTC "HH:MM"; "" runs only on demand. */
  readonly at: string;
  readonly webhook: WebhookConfig | undefined;
  readonly reportWaitMs: number;
  readonly signal: AbortSignal;
}

/** Milliseconds from `now` to the next `HH:MM` UTC. */
export function msUntil(hhmm: string, now: Date): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m);
  return next > now.getTime() ? next - now.getTime() : next + DAY_MS - now.getTime();
}

/**
 * The seed's cron job, built in: sync the builders' trees, ask every node to
 * sync and re-report, wait for their new plans, fetch the distfiles the build
 * list needs, and report what is pending (log line and optional webhook).
 * Runs at a fixed UTC time and on demand (`binfleet sync`); one run at a time.
 */
export class NightlyJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PendingUpdatesReport> | null = null;

  constructor(
    private readonly steps: NightlySteps,
    private readonly log: Logger,
    private o: NightlyOptions,
  ) {}

  /** New settings (a configuration reload): the timer is armed again for the new time; a run in progress keeps its own. */
  reconfigure(o: Omit<NightlyOptions, "signal">): void {
    this.o = { ...o, signal: this.o.signal };
    this.schedule();
  }

  /** Arms the daily timer (when a time is configured). */
  schedule(): void {
    this.stop();
    if (this.o.at === "" || this.o.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.run("schedule", "").finally(() => this.schedule());
    }, msUntil(this.o.at, new Date()));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs the job now, or joins the run in progress (whatever platform it is for). */
  run(trigger: string, platformKey: string): Promise<PendingUpdatesReport> {
    this.running ??= this.runNow(trigger, platformKey).finally(() => (this.running = null));
    return this.running;
  }

  private async runNow(trigger: string, platformKey: string): Promise<PendingUpdatesReport> {
    const started = Date.now();
    this.log.info({ trigger, platform: platformKey }, "nightly job started");
    const synced = await this.steps.sync(platformKey);
    const deadline = started + this.o.reportWaitMs;
    let waiting = synced.nodesAsked;
    while (waiting.length > 0 && Date.now() < deadline && !this.o.signal.aborted) {
      await sleep(500);
      waiting = waiting.filter((n) => !this.steps.settled(n, started));
    }
    const fetchFailed = new Set(await this.steps.fetch(platformKey));
    const report: PendingUpdatesReport = {
      at: new Date().toISOString(),
      trigger,
      platforms: this.steps.pending(platformKey).map((p) => ({ ...p, fetchFailed: fetchFailed.has(p.name) })),
      nodesAsked: synced.nodesAsked,
      nodesNotReported: waiting,
      buildersNotSynced: synced.failed,
      advisories: await this.steps.newAdvisories(),
    };
    this.log.info({ report }, "nightly report");
    // Delivered in the background: `binfleet sync` has its report without waiting out a receiver's retries.
    if (this.o.webhook !== undefined) void sendWebhook(report, this.o.webhook, { log: this.log, signal: this.o.signal });
    return report;
  }
}
