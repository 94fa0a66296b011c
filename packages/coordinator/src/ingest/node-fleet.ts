import { fromBinary } from "@bufbuild/protobuf";
import { consumeUntilAborted, consumers, ensureDurable, livePull, streams, subjects } from "@binfleet/bus";
import { ApiError, type Caller } from "@binfleet/api";
import type { Supervisor } from "@binfleet/daemon";
import type { Logger } from "@binfleet/shared";
import { type AgentReport, HeartbeatSchema, ProgressEventSchema } from "@binfleet/shared/wire";
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { CommandSender } from "../node-commands/command-sender.js";
import { NodeRegistry } from "./node-registry.js";
import type { PlatformPins } from "./platform-pins.js";
import { ReportRejectedError, validateReport } from "./report-validation.js";

/** What happens elsewhere when the fleet changes. */
export interface FleetEvents {
  /** A node's report was accepted: plan it, match it against advisories, tell it what is ready. */
  reported(nodeId: string, report: AgentReport): Promise<void>;
  /** A node finished a command (rollouts count outcomes). */
  finished(nodeId: string, commandId: string, success: boolean, error: string): Promise<void>;
  /** A node came back online (rollouts dispatch to it). */
  online(): void;
  /** Whether a platform has a builder (a node on one without keeps compiling). */
  hasBuilder(platformKey: string): boolean;
}

export interface NodeFleetOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly pins: PlatformPins;
  readonly commands: CommandSender;
  readonly staleAfterSeconds: number;
  readonly maxReportBytes: number;
  readonly log: Logger;
}

/**
 * The fleet as reported: takes in every node's reports (each node pinned to its platform),
 * progress events and heartbeats, and keeps the registry the rest of the coordinator plans from.
 * Reports live in the BINFLEET_REPORTS stream; on start the latest of every node is read again.
 */
export class NodeFleet {
  readonly registry: NodeRegistry;
  /** Nodes whose latest report is for another platform than their pin: node → reported platform. */
  private readonly platformChanges = new Map<string, string>();
  private readonly counters = { installedBinary: 0, compiledLocally: 0 };
  private events: FleetEvents | null = null;

  constructor(private readonly o: NodeFleetOptions) {
    this.registry = new NodeRegistry(o.staleAfterSeconds * 1000);
  }

  /** Installs from binaries and local compiles nodes reported since start (metrics). */
  get installs(): Readonly<{ installedBinary: number; compiledLocally: number }> {
    return this.counters;
  }

  /** Starts taking in reports, progress and heartbeats. */
  start(events: FleetEvents, supervisor: Supervisor): void {
    this.events = events;
    const heartbeats = this.o.nc.subscribe(subjects.heartbeat("*"), { callback: (err, m) => void (err === null && this.heartbeat(m.subject, m.data)) });
    supervisor.defer("heartbeat subscription", () => heartbeats.unsubscribe());
    supervisor.loop("report intake", (signal) =>
      consumeUntilAborted({
        signal,
        log: this.o.log,
        what: "reports",
        // The stream holds only reports; no subject filter (filter_subjects needs nats-server 2.10, Debian 12 ships 2.9).
        open: async () => (await this.o.js.consumers.get(streams.reports.name, { deliver_policy: DeliverPolicy.LastPerSubject })).consume(livePull),
        // When JetStream stored it, not when this process read it: a restarted coordinator replaying
        // the stream must not take a node that went away long ago for alive (and send it updates).
        handle: (m) => this.ingest(m.subject, m.data, Math.min(Date.now(), m.time.getTime())),
      }),
    );
    supervisor.loop("progress intake", (signal) =>
      consumeUntilAborted({
        signal,
        log: this.o.log,
        what: "progress",
        open: async () => {
          // Durable: outcomes that arrive while the coordinator is down are read when it returns.
          await ensureDurable(this.o.jsm, streams.progress.name, { durable_name: consumers.progress, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
          return (await this.o.js.consumers.get(streams.progress.name, consumers.progress)).consume(livePull);
        },
        handle: async (m) => {
          await this.onProgress(m.subject, m.data);
          m.ack();
        },
      }),
    );
  }

  /** Accepts or rejects one report, received at `receivedAt` (ms); never throws for bad input. */
  async ingest(subject: string, data: Uint8Array, receivedAt: number = Date.now()): Promise<void> {
    let report;
    try {
      report = validateReport(subject, data, this.o.maxReportBytes);
    } catch (err) {
      if (err instanceof ReportRejectedError) {
        this.o.log.warn({ reason: err.reason, node: err.nodeId, subject, bytes: data.length, detail: err.message }, "report rejected");
        return;
      }
      throw err;
    }
    const prev = this.registry.get(report.nodeId);
    if (prev !== undefined && prev.reportedAt > Number(report.generatedAtUnixMs)) return;
    const platformKey = report.platform!.key;
    // A node is on the platform of its first report: one that reports another platform adds no
    // variants for it until an admin accepts the change (a profile upgrade, a new -march).
    const pin = this.o.pins.get(report.nodeId);
    if (pin === undefined) this.o.pins.set(report.nodeId, platformKey, "first report");
    else if (pin.platformKey !== platformKey) {
      this.platformChanges.set(report.nodeId, platformKey);
      this.o.log.warn({ reason: "platform-changed", node: report.nodeId, pinned: pin.platformKey, reported: platformKey, detail: `binfleet accept-platform ${report.nodeId} to accept it` }, "report rejected");
      return;
    }
    this.platformChanges.delete(report.nodeId);
    this.registry.report(report, receivedAt);
    if (this.events?.hasBuilder(platformKey) === false) this.o.log.warn({ node: report.nodeId, platform: platformKey }, "report from a platform without a builder: nodes keep compiling");
    await this.events?.reported(report.nodeId, report);
  }

  /** The platform a node's refused reports are for, when it reports another than it is pinned to. */
  platformChange(nodeId: string): string | undefined {
    return this.platformChanges.get(nodeId);
  }

  /** Pins a node to the platform its refused reports are for, and asks it for a report now. */
  async acceptPlatform(nodeId: string, caller: Caller): Promise<{ platformKey: string; previous: string }> {
    const changed = this.platformChanges.get(nodeId);
    if (changed === undefined) throw new ApiError("failed-precondition", `${nodeId} reports no other platform than the one it is on`);
    const previous = this.o.pins.get(nodeId)?.platformKey ?? "";
    this.o.pins.set(nodeId, changed, caller.name);
    await this.o.pins.flush();
    this.platformChanges.delete(nodeId);
    this.o.log.info({ by: caller.name, role: caller.role, node: nodeId, platform: changed, previous }, "platform change accepted");
    await this.o.commands.send(nodeId, { case: "report", value: {} });
    return { platformKey: changed, previous };
  }

  /** Calls fn with the latest report of every node (read from the reports stream, not kept in memory). */
  async forEachLatestReport(fn: (r: AgentReport) => void): Promise<void> {
    const info = await this.o.jsm.streams.info(streams.reports.name);
    if (info.state.messages === 0) return;
    const consumer = await this.o.js.consumers.get(streams.reports.name, { deliver_policy: DeliverPolicy.LastPerSubject });
    const messages = await consumer.consume(livePull);
    try {
      for await (const m of messages) {
        try {
          fn(validateReport(m.subject, m.data, this.o.maxReportBytes));
        } catch (err) {
          if (!(err instanceof ReportRejectedError)) throw err;
        }
        if (m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
  }

  private async onProgress(subject: string, data: Uint8Array): Promise<void> {
    let ev;
    try {
      ev = fromBinary(ProgressEventSchema, data);
    } catch {
      this.o.log.warn({ subject, bytes: data.length }, "malformed progress event dropped");
      return;
    }
    // A node speaks only for itself.
    if (subject !== subjects.progress(ev.nodeId)) {
      this.o.log.warn({ subject, node: ev.nodeId.slice(0, 64) }, "progress event for another node dropped");
      return;
    }
    if (ev.event.case !== "finished") return;
    const f = ev.event.value;
    this.registry.finished(ev.nodeId, { commandId: ev.commandId, success: f.success, error: f.error, at: Number(ev.atUnixMs), installedBinary: f.installedBinary, compiledLocally: f.compiledLocally });
    this.counters.installedBinary += Math.max(0, f.installedBinary);
    this.counters.compiledLocally += Math.max(0, f.compiledLocally);
    await this.events?.finished(ev.nodeId, ev.commandId, f.success, f.success ? "" : f.error || `exit ${f.exitCode}`);
  }

  private heartbeat(subject: string, data: Uint8Array): void {
    try {
      const hb = fromBinary(HeartbeatSchema, data);
      if (subject !== subjects.heartbeat(hb.nodeId)) return;
      if (this.registry.heartbeat(hb.nodeId, hb.state, Date.now())) this.events?.online();
    } catch {
      this.o.log.debug({ subject }, "malformed heartbeat dropped");
    }
  }
}
