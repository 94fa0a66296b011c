import { setTimeout as sleep } from "node:timers/promises";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Logger, CommandRejectedError, inboxPrefix, commandConsumer, commandConsumerConfig, streams, subjects, verifySignedCommand } from "@binfleet/shared";
import { type MessageInitShape } from "@bufbuild/protobuf";
import { AgentReportSchema, type Command, HeartbeatSchema, ProgressEventSchema, type TrustBinpkgKeysAction } from "@binfleet/shared/wire";
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import type { AgentConfig } from "./agent-config.js";
import { isConfigUrl, writeBinreposConf } from "./binhost-config.js";
import { BinpkgTrust, BinpkgTrustError } from "./binpkg-trust.js";
import { CommandState } from "./command-state.js";
import { parseEmergeStep } from "./emerge-progress.js";
import { InvalidRequestError, PortageRunner } from "./portage-runner.js";
import { ReportCollector } from "./report-collector.js";
import { ReportOutbox } from "./report-outbox.js";
import { TrustedKeys, TrustedKeysError } from "./trusted-keys.js";

export type AgentState = "starting" | "running" | "draining" | "stopped" | "failed";

type ProgressInit = MessageInitShape<typeof ProgressEventSchema>;

/**
 * The daemon on a node. Reports what the node has and needs (at start, on a
 * schedule, after every emerge, when vdb or world change, on request), sends
 * heartbeats, and carries out verified coordinator commands one at a time.
 */
export class Agent {
  private state: AgentState = "starting";
  private readonly stopping = new AbortController();
  private readonly tasks: Promise<unknown>[] = [];
  private statusWatch: Promise<void> | null = null;
  private busy: string | null = null;
  private reportWanted = true;
  private reportForced = false;
  private wake: (() => void) | null = null;
  private sequence = 0n;
  private lastFingerprint = "";

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly keys: TrustedKeys,
    private readonly commands: CommandState,
    private readonly runner: PortageRunner,
    private readonly collector: ReportCollector,
    private readonly outbox: ReportOutbox,
  ) {}

  /** Validates keys, loads state and connects (waiting for the bus if it is down); closes what it opened on failure. */
  static async create(config: AgentConfig, log: Logger): Promise<Agent> {
    const keys = await TrustedKeys.load(config.stateDir, config.coordinatorKeys);
    const commands = await CommandState.load(config.stateDir);
    const nc = await connect({
      servers: config.nats.urls,
      name: `binfleet-agent ${config.nodeId}`,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      inboxPrefix: inboxPrefix(config.nodeId),
      ...(config.nats.user === undefined ? {} : { user: config.nats.user, pass: config.nats.pass ?? "" }),
      ...(config.nats.token === undefined ? {} : { token: config.nats.token }),
      ...(config.nats.ca === undefined ? {} : { tls: { caFile: config.nats.ca } }),
    });
    try {
      const js = jetstream(nc, { timeout: 5000 });
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      const runner = new PortageRunner(config);
      return new Agent(config, log, nc, js, jsm, keys, commands, runner, new ReportCollector(config, runner), new ReportOutbox(config.stateDir));
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  status(): AgentState {
    return this.state;
  }

  start(): void {
    this.state = "running";
    this.tasks.push(this.reportLoop(), this.commandLoop(), this.heartbeatLoop(), this.watchLoop());
    // Ends only when the connection closes, so it is awaited after the drain.
    this.statusWatch = this.statusLoop();
    this.log.info({ node: this.config.nodeId }, "agent started");
  }

  /**
   * Asks for a fresh report (after an emerge, on command, on change). A forced one is sent even
   * when nothing changed: the coordinator asked, and waits to hear that the node is where it was.
   */
  requestReport(reason: string, force = false): void {
    this.log.debug({ reason, force }, "report requested");
    this.reportWanted = true;
    this.reportForced ||= force;
    this.wake?.();
  }

  /** Stops taking commands, lets a running emerge finish, flushes and closes the connection. */
  async shutdown(): Promise<void> {
    if (this.state === "stopped" || this.state === "draining") return;
    this.state = "draining";
    this.stopping.abort();
    this.wake?.();
    await Promise.allSettled(this.tasks);
    await this.nc.drain().catch(() => this.nc.close());
    await this.statusWatch;
    this.state = "stopped";
    this.log.info({ node: this.config.nodeId }, "agent stopped");
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private async reportLoop(): Promise<void> {
    let next = Date.now();
    while (!this.stopped) {
      // While emerge runs, the vdb is changing under the collector: report when it is done.
      if ((this.reportWanted || Date.now() >= next) && this.busy === null) {
        const force = this.reportForced;
        this.reportWanted = false;
        this.reportForced = false;
        next = Date.now() + this.config.reportIntervalSeconds * 1000;
        await this.collectReport(force);
      }
      await this.flushOutbox();
      const pending = (await this.outbox.peek()) !== null;
      // Sleep until the next report is due, a report is requested, or shutdown.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, pending ? 1000 : Math.max(0, Math.min(next - Date.now(), 5000))).unref();
      });
      this.wake = null;
    }
  }

  private async collectReport(force: boolean): Promise<void> {
    try {
      const report = await this.collector.collect();
      if (!force && report.contentHash === (await this.outbox.lastSent())) {
        this.log.debug({ hash: report.contentHash }, "report unchanged, not resent");
        return;
      }
      this.sequence = BigInt(Date.now()) * 1000n + (this.sequence % 1000n) + 1n;
      report.sequence = this.sequence;
      const data = toBinary(AgentReportSchema, report);
      if (data.length > this.config.maxReportBytes) {
        this.log.error({ bytes: data.length, limit: this.config.maxReportBytes }, "report exceeds the size limit, not sent");
        return;
      }
      await this.outbox.put(data, report.contentHash, `${report.contentHash}-${this.sequence}`);
      this.log.info({ hash: report.contentHash, bytes: data.length, installed: report.installed.length, plan: report.plan.length }, "report queued");
    } catch (err) {
      // Typically a vdb entry read while emerge replaced it: try again shortly.
      this.log.error({ err }, "report collection failed");
      setTimeout(() => this.requestReport("retry after a failed collection"), 3000).unref();
    }
  }

  private async flushOutbox(): Promise<void> {
    const item = await this.outbox.peek();
    if (item === null || this.nc.isClosed()) return;
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

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped) {
      if (!this.nc.isClosed()) {
        const hb = create(HeartbeatSchema, { nodeId: this.config.nodeId, sentAtUnixMs: BigInt(Date.now()), state: this.busy === null ? "running" : "emerging", lastReportHash: await this.outbox.lastSent() });
        this.nc.publish(subjects.heartbeat(this.config.nodeId), toBinary(HeartbeatSchema, hb));
      }
      await this.pause(this.config.heartbeatSeconds * 1000);
    }
  }

  /** Notices changes to /var/db/pkg and the world file (merges done by hand, other tools) and re-reports. */
  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      await this.pause(this.config.watchSeconds * 1000);
      const fp = await this.fingerprint();
      if (this.lastFingerprint !== "" && fp !== this.lastFingerprint) this.requestReport("vdb or world changed");
      this.lastFingerprint = fp;
    }
  }

  private async fingerprint(): Promise<string> {
    const vdb = join(this.config.root, "var/db/pkg");
    const parts: string[] = [];
    for (const f of [join(this.config.root, "var/lib/portage/world"), vdb]) parts.push(String((await stat(f).catch(() => null))?.mtimeMs ?? 0));
    for (const cat of await readdir(vdb).catch(() => [] as string[])) parts.push(`${cat}:${(await stat(join(vdb, cat)).catch(() => null))?.mtimeMs ?? 0}`);
    return parts.join(",");
  }

  private async statusLoop(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "reconnect") {
        this.log.info({ server: s.server }, "reconnected to the bus");
        this.wake?.();
      } else if (s.type === "disconnect") {
        this.log.warn({ server: s.server }, "disconnected from the bus");
      } else if (s.type === "error") {
        // Asynchronous server errors, such as a permission violation (a user configured too narrowly).
        this.log.error({ err: String(s.error) }, "bus refused an operation");
      }
    }
  }

  private async commandLoop(): Promise<void> {
    const name = commandConsumer(this.config.nodeId);
    let current: { close(): Promise<void | Error> } | null = null;
    this.stopping.signal.addEventListener("abort", () => void current?.close(), { once: true });
    while (!this.stopped) {
      try {
        // The coordinator created it at enrollment; binfleet's bus refuses a node creating it (it waits, and says so).
        await this.jsm.consumers.info(streams.commands.name, name).catch(async () => {
          await this.jsm.consumers.add(streams.commands.name, { ...commandConsumerConfig(this.config.nodeId), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
        });
        const consumer = await this.js.consumers.get(streams.commands.name, name);
        const messages = await consumer.consume({ max_messages: 1 });
        current = messages;
        for await (const m of messages) {
          await this.handleCommand(m.data);
          // At most once: a command is recorded before it runs and never redelivered after a crash.
          m.ack();
          if (this.stopped) break;
        }
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err: (err as Error).message }, "command consumer unavailable, retrying");
        await this.pause(1000);
      }
    }
  }

  /** Verifies and runs one command. Anything refused is logged with its reason and runs nothing. */
  async handleCommand(data: Uint8Array): Promise<void> {
    let cmd: Command;
    try {
      cmd = verifySignedCommand(data, { nodeId: this.config.nodeId, keys: this.keys.keys, state: this.commands.snapshot(), now: Date.now(), maxBytes: this.config.maxCommandBytes });
    } catch (err) {
      if (err instanceof CommandRejectedError) {
        this.log.warn({ reason: err.reason, commandId: err.commandId, bytes: data.length, detail: err.message }, "command refused");
        return;
      }
      throw err;
    }
    await this.commands.accept(cmd.id, cmd.sequence);
    this.log.info({ commandId: cmd.id, action: cmd.action.case }, "command accepted");
    // Taken at once, even while an emerge runs: the commands after it may be signed with the new key.
    if (cmd.action.case === "trustKeys") return this.trustKeys(cmd.id, cmd.action.value.keys);
    // Likewise: binaries signed with a new binhost key may be on the binhost before the next command.
    if (cmd.action.case === "trustBinpkgKeys") return this.trustBinpkgKeys(cmd.id, cmd.action.value);
    if (this.busy !== null) {
      await this.refuse(cmd.id, `busy: command ${this.busy} is running`);
      this.log.warn({ commandId: cmd.id, running: this.busy }, "command refused: another emerge is running");
      return;
    }
    this.busy = cmd.id;
    try {
      await this.execute(cmd);
    } finally {
      this.busy = null;
    }
  }

  private trustKeys(commandId: string, keys: Record<string, string>): Promise<void> {
    return this.replaceTrust(commandId, "coordinator keys replaced", "command refused: invalid key set", async () => (await this.keys.replace(keys), { keys: Object.keys(keys) }), (err) => {
      if (!(err instanceof TrustedKeysError)) throw err;
      return err.message;
    });
  }

  private trustBinpkgKeys(commandId: string, { keys, platformKey, binhostUrl }: TrustBinpkgKeysAction): Promise<void> {
    const replace = async (): Promise<object> => {
      if (binhostUrl !== "" && !isConfigUrl(binhostUrl, ["http:", "https:"])) throw new BinpkgTrustError(`invalid binhost URL '${binhostUrl.slice(0, 80)}'`);
      // Sent to every node the coordinator has not heard from yet too: keys for another platform's binaries are not ours.
      if (platformKey !== "") {
        const own = await this.collector.platform().then(
          (p) => p.key,
          (err: unknown) => {
            throw new BinpkgTrustError(`cannot tell this node's platform: ${(err as Error).message}`, { cause: err });
          },
        );
        if (own !== platformKey) throw new BinpkgTrustError(`keys for platform ${platformKey}; this node is on ${own}`);
      }
      const trusted = await BinpkgTrust.forNode(this.config.root, this.config.stateDir).replace(keys);
      // Its platform got a binhost after it enrolled: Portage on the node uses it from now on.
      if (binhostUrl !== "") await writeBinreposConf(this.config.root, binhostUrl, `its platform's binhost, as the coordinator said (command ${commandId})`);
      return { ...trusted, ...(binhostUrl === "" ? {} : { binhost: binhostUrl }) };
    };
    return this.replaceTrust(commandId, "binhost signing keys replaced", "command refused: binpkg keys not trusted", replace, (err) =>
      err instanceof BinpkgTrustError ? err.message : `gpg failed: ${(err as Error).message}`,
    );
  }

  /**
   * Replaces a trusted key set and reports the outcome. `refusal` says why a set was refused
   * (nothing changed) and rethrows what is not a refusal.
   */
  private async replaceTrust(commandId: string, replaced: string, refused: string, replace: () => Promise<object>, refusal: (err: unknown) => string): Promise<void> {
    let fields: object;
    try {
      fields = await replace();
    } catch (err) {
      const detail = refusal(err);
      this.log.warn({ commandId, detail }, refused);
      await this.refuse(commandId, detail);
      return;
    }
    this.log.info({ commandId, ...fields }, replaced);
    await this.progress(commandId, { case: "finished", value: { exitCode: 0, success: true } });
  }

  /** A command that ran nothing: its outcome, with why. */
  private refuse(commandId: string, error: string): Promise<void> {
    return this.progress(commandId, { case: "finished", value: { exitCode: -1, success: false, error } });
  }

  private async execute(cmd: Command): Promise<void> {
    const a = cmd.action;
    if (a.case === "report") {
      this.requestReport(`command ${cmd.id}`, true);
      return;
    }
    let argv: string[];
    try {
      if (a.case === "sync") argv = this.runner.syncArgv();
      else if (a.case === "update") argv = this.runner.updateArgv({ atoms: a.value.atoms, getbinpkgonly: a.value.getbinpkgonly, pretend: a.value.pretend, hold: a.value.hold });
      else throw new InvalidRequestError(`no action in command ${cmd.id}`);
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      this.log.warn({ commandId: cmd.id, detail: err.message }, "command refused: invalid request");
      await this.refuse(cmd.id, err.message);
      return;
    }
    await this.progress(cmd.id, { case: "started", value: { argv } });
    this.log.info({ commandId: cmd.id, argv }, "running portage");
    const tail: string[] = [];
    let pending: string[] = [];
    let binaries = 0;
    let compiled = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const lines = pending;
      pending = [];
      await this.progress(cmd.id, { case: "log", value: { lines } });
    };
    const timer = setInterval(() => void flush(), 1000);
    let result;
    try {
      result = await this.runner.run(argv, (line) => {
        tail.push(line);
        if (tail.length > 50) tail.shift();
        pending.push(line);
        const step = parseEmergeStep(line);
        if (step !== null) {
          if (step.binary) binaries++;
          else compiled++;
          void this.progress(cmd.id, { case: "package", value: step });
        }
      });
    } finally {
      clearInterval(timer);
    }
    await flush();
    const success = result.exitCode === 0;
    await this.progress(cmd.id, { case: "finished", value: { exitCode: result.exitCode, success, installedBinary: binaries, compiledLocally: compiled, logTail: tail.slice(-20), error: success ? "" : result.stderr.slice(-2000) } });
    if (success) this.log.info({ commandId: cmd.id, exitCode: result.exitCode, binaries, compiled }, "portage finished");
    else this.log.warn({ commandId: cmd.id, exitCode: result.exitCode, binaries, compiled, stderr: result.stderr.slice(-1500), tail: tail.slice(-8) }, "portage failed");
    this.requestReport(`after ${a.case}`, true);
  }

  private async progress(commandId: string, event: ProgressInit["event"]): Promise<void> {
    const msg = create(ProgressEventSchema, { nodeId: this.config.nodeId, commandId, atUnixMs: BigInt(Date.now()), ...(event === undefined ? {} : { event }) });
    try {
      await this.js.publish(subjects.progress(this.config.nodeId), toBinary(ProgressEventSchema, msg), { timeout: 5000 });
    } catch (err) {
      // Progress is best effort: the outcome also shows in the next report.
      this.log.warn({ commandId, err: (err as Error).message }, "progress event not delivered");
    }
  }
}
