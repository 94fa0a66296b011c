import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { toBinary } from "@bufbuild/protobuf";
import { subjects } from "@binfleet/bus";
import { type Logger, compressReport } from "@binfleet/shared";
import { AgentReportSchema } from "@binfleet/shared/wire";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { AgentConfig } from "./agent-config.js";
import type { ReportCollector } from "./report-collector.js";
import type { ReportOutbox } from "./report-outbox.js";

/**
 * What the node has and needs, reported: at start, on a schedule, after every emerge, when the
 * vdb or world change, and on request. Each report goes to an on-disk outbox first and is
 * published from there, so one made while the bus is down is sent when it returns, exactly once.
 */
export class Reporter {
  private wanted = true;
  private forced = false;
  private wake: (() => void) | null = null;
  private sequence = 0n;
  private lastFingerprint = "";

  constructor(
    private readonly config: AgentConfig,
    private readonly js: JetStreamClient,
    private readonly collector: ReportCollector,
    private readonly outbox: ReportOutbox,
    /** Whether an emerge runs: the vdb changes under the collector meanwhile. */
    private readonly busy: () => boolean,
    private readonly log: Logger,
  ) {}

  /**
   * Asks for a fresh report (after an emerge, on command, on change). A forced one is sent even
   * when nothing changed: the coordinator asked, and waits to hear that the node is where it was.
   */
  request(reason: string, force = false): void {
    this.log.debug({ reason, force }, "report requested");
    this.wanted = true;
    this.forced ||= force;
    this.wake?.();
  }

  /** Tries the outbox again now (the bus is back). */
  retryNow(): void {
    this.wake?.();
  }

  lastSent(): Promise<string> {
    return this.outbox.lastSent();
  }

  /** Collects when due, publishes what the outbox holds; until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let next = Date.now();
    const onAbort = (): void => this.wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if ((this.wanted || Date.now() >= next) && !this.busy()) {
          const force = this.forced;
          this.wanted = false;
          this.forced = false;
          next = Date.now() + this.config.reportIntervalSeconds * 1000;
          await this.collect(force);
        }
        await this.flush();
        const pending = (await this.outbox.peek()) !== null;
        // Sleep until the next report is due, a report is requested, or shutdown.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, pending ? 1000 : Math.max(0, Math.min(next - Date.now(), 5000))).unref();
        });
        this.wake = null;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Notices changes to /var/db/pkg and the world file (merges done by hand, other tools) and re-reports. */
  async watch(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.config.watchSeconds * 1000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      const fp = await this.fingerprint();
      if (this.lastFingerprint !== "" && fp !== this.lastFingerprint) this.request("vdb or world changed");
      this.lastFingerprint = fp;
    }
  }

  private async collect(force: boolean): Promise<void> {
    try {
      const report = await this.collector.collect();
      if (!force && report.contentHash === (await this.outbox.lastSent())) {
        this.log.debug({ hash: report.contentHash }, "report unchanged, not resent");
        return;
      }
      this.sequence = BigInt(Date.now()) * 1000n + (this.sequence % 1000n) + 1n;
      report.sequence = this.sequence;
      // The limit is on the report itself, as the coordinator applies it after decompressing.
      const encoded = toBinary(AgentReportSchema, report);
      const bytes = encoded.length;
      if (bytes > this.config.maxReportBytes) {
        this.log.error({ bytes, limit: this.config.maxReportBytes }, "report exceeds the size limit, not sent");
        return;
      }
      const data = compressReport(encoded);
      await this.outbox.put(data, report.contentHash, `${report.contentHash}-${this.sequence}`);
      this.log.info({ hash: report.contentHash, bytes, wireBytes: data.length, installed: report.installed.length, plan: report.plan.length }, "report queued");
    } catch (err) {
      // Typically a vdb entry read while emerge replaced it: try again shortly.
      this.log.error({ err }, "report collection failed");
      setTimeout(() => this.request("retry after a failed collection"), 3000).unref();
    }
  }

  private async flush(): Promise<void> {
    const item = await this.outbox.peek();
    if (item === null) return;
    try {
      // JetStream drops a resend of the same item inside its duplicate window.
      await this.js.publish(subjects.report(this.config.nodeId), item.data, { msgID: item.id, timeout: 5000 });
      await this.outbox.markSent(item.hash);
      await this.outbox.done(item.id);
      this.log.info({ hash: item.hash }, "report delivered");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "report not delivered yet, will retry");
    }
  }

  private async fingerprint(): Promise<string> {
    const vdb = join(this.config.root, "var/db/pkg");
    const parts: string[] = [];
    for (const f of [join(this.config.root, "var/lib/portage/world"), vdb]) parts.push(String((await stat(f).catch(() => null))?.mtimeMs ?? 0));
    for (const cat of await readdir(vdb).catch(() => [] as string[])) parts.push(`${cat}:${(await stat(join(vdb, cat)).catch(() => null))?.mtimeMs ?? 0}`);
    return parts.join(",");
  }
}
