import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { connectBus, consumers, followSubject, jetstreamManagerWhenReady, requestCatchUp, streams, subjects } from "@binfleet/bus";
import { type DaemonFailure, Supervisor } from "@binfleet/daemon";
import type { Logger } from "@binfleet/shared";
import { HeartbeatSchema } from "@binfleet/shared/wire";
import { type JetStreamClient, type JetStreamManager, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { AgentConfig } from "./agent-config.js";
import { CommandHandler } from "./command-handler.js";
import { CommandState } from "./command-state.js";
import { PortageRunner } from "./portage-runner.js";
import { ProgressPublisher } from "./progress-publisher.js";
import { ReportCollector } from "./report-collector.js";
import { ReportOutbox } from "./report-outbox.js";
import { Reporter } from "./reporter.js";
import { TrustedKeys } from "./trusted-keys.js";

export type AgentState = "starting" | "running" | "draining" | "stopped" | "failed";

/**
 * The daemon on a node: its lifecycle. Reports what the node has and needs (Reporter), sends
 * heartbeats, and carries out verified coordinator commands one at a time (CommandHandler), each
 * a loop under one supervisor: a loop that dies fails the agent, which exits for its service
 * manager to restart it.
 */
export class Agent {
  private state: AgentState = "starting";
  private readonly reporter: Reporter;
  private readonly handler: CommandHandler;

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly supervisor: Supervisor,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    keys: TrustedKeys,
    commands: CommandState,
  ) {
    const runner = new PortageRunner(config);
    const collector = new ReportCollector(config, runner);
    const progress = new ProgressPublisher(js, config.nodeId, log);
    this.reporter = new Reporter(config, js, collector, new ReportOutbox(config.stateDir), () => this.handler.busy !== null, log);
    this.handler = new CommandHandler(config, keys, commands, runner, collector, progress, this.reporter, log);
  }

  /** Validates keys, loads state and connects (waiting for the bus if it is down); closes what it opened on failure. */
  static async create(config: AgentConfig, log: Logger): Promise<Agent> {
    const keys = await TrustedKeys.load(config.stateDir, config.coordinatorKeys);
    const commands = await CommandState.load(config.stateDir);
    const supervisor = new Supervisor(log);
    const wake: { agent: Agent | null } = { agent: null };
    const nc = await connectBus({
      servers: config.nats.urls,
      name: `binfleet-agent ${config.nodeId}`,
      credentials: config.nats.user === undefined ? null : { user: config.nats.user, pass: config.nats.pass ?? "" },
      ...(config.nats.token === undefined ? {} : { token: config.nats.token }),
      ...(config.nats.ca === undefined ? {} : { caFile: config.nats.ca }),
      inboxUser: config.nodeId,
      waitOnFirstConnect: true,
      log,
      onReconnect: () => wake.agent?.reporter.retryNow(),
    });
    supervisor.defer("bus connection", () => nc.drain().catch(() => nc.close()));
    try {
      const js = jetstream(nc, { timeout: 5000 });
      const jsm = await jetstreamManagerWhenReady(nc, { timeout: 5000, log });
      wake.agent = new Agent(config, log, supervisor, nc, js, jsm, keys, commands);
      return wake.agent;
    } catch (err) {
      await supervisor.stop();
      throw err;
    }
  }

  status(): AgentState {
    return this.supervisor.failed !== null && this.state !== "stopped" ? "failed" : this.state;
  }

  /** Resolves when the agent can no longer work (a loop died). */
  get failure(): Promise<DaemonFailure> {
    return this.supervisor.failure;
  }

  start(): void {
    this.state = "running";
    this.supervisor.loop("reports", (signal) => this.reporter.run(signal));
    this.supervisor.loop("vdb watch", (signal) => this.reporter.watch(signal));
    this.supervisor.loop("heartbeats", (signal) => this.heartbeats(signal));
    this.supervisor.loop("commands", (signal) => this.commands(signal));
    void this.nc.closed().then((err) => {
      if (!this.supervisor.isStopping) this.supervisor.fail("bus connection", err ?? new Error("closed"));
    });
    this.log.info({ node: this.config.nodeId }, "agent started");
  }

  /** Asks for a fresh report; a forced one is sent even when nothing changed. */
  requestReport(reason: string, force = false): void {
    this.reporter.request(reason, force);
  }

  /** Verifies and runs one command (what the command loop does with each message). */
  handleCommand(data: Uint8Array): Promise<void> {
    return this.handler.handle(data);
  }

  /** Stops taking commands, lets a running emerge finish, flushes and closes the connection. */
  async shutdown(): Promise<void> {
    if (this.state === "stopped" || this.state === "draining") return;
    this.state = "draining";
    await this.supervisor.stop();
    this.state = "stopped";
    this.log.info({ node: this.config.nodeId }, "agent stopped");
  }

  private async heartbeats(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.nc.isClosed()) {
        const hb = create(HeartbeatSchema, { nodeId: this.config.nodeId, sentAtUnixMs: BigInt(Date.now()), state: this.handler.busy === null ? "running" : "emerging", lastReportHash: await this.reporter.lastSent() });
        this.nc.publish(subjects.heartbeat(this.config.nodeId), toBinary(HeartbeatSchema, hb));
      }
      await sleep(this.config.heartbeatSeconds * 1000, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * The node's commands, one at a time and in order: live on its own subject, and what it missed
   * while away (stopped, or cut off from the bus) read from the stream when it (re)connects.
   */
  private commands(signal: AbortSignal): Promise<void> {
    const node = this.config.nodeId;
    return followSubject({
      nc: this.nc,
      js: this.js,
      jsm: this.jsm,
      stream: streams.commands.name,
      subject: subjects.command(node),
      consumer: consumers.commandCatchUp(node),
      // The coordinator makes it, filtered to this node's subject: a node may not make consumers.
      openCatchUp: (from) => requestCatchUp(this.nc, node, from),
      signal,
      log: this.log,
      what: "commands",
      // At most once: a command is recorded before it runs, and one taken is never run again.
      handle: (data) => this.handler.handle(data),
      handled: (data) => this.handler.taken(data),
    });
  }
}
