import { type Logger, clip } from "@binfleet/shared";
import type { Command, TrustBinpkgKeysAction } from "@binfleet/shared/wire";
import type { AgentConfig } from "./agent-config.js";
import { isConfigUrl, writeBinreposConf } from "./portage-config-files.js";
import { BinpkgTrust, BinpkgTrustError } from "./binpkg-trust.js";
import { CommandGate } from "./command-gate.js";
import type { CommandState } from "./command-state.js";
import { runEmergeJob } from "./emerge-job.js";
import { InvalidRequestError, type PortageRunner } from "./portage-runner.js";
import type { ProgressPublisher } from "./progress-publisher.js";
import type { ReportCollector } from "./report-collector.js";
import type { Reporter } from "./reporter.js";
import { type TrustedKeys, TrustedKeysError } from "./trusted-keys.js";

/**
 * Carries out the coordinator's commands: each is verified (signature, node, expiry, sequence)
 * before anything else, recorded so it never runs twice, then dispatched by action. One emerge at
 * a time; key changes are taken at once. Every accepted command gets an outcome, a failed
 * handler included.
 */
export class CommandHandler {
  private running: string | null = null;
  private readonly gate: CommandGate;

  constructor(
    private readonly config: AgentConfig,
    private readonly keys: TrustedKeys,
    state: CommandState,
    private readonly runner: PortageRunner,
    private readonly collector: ReportCollector,
    private readonly progress: ProgressPublisher,
    private readonly reporter: Pick<Reporter, "request">,
    private readonly log: Logger,
  ) {
    this.gate = new CommandGate({ nodeId: config.nodeId, maxBytes: config.maxCommandBytes, keys, state, log });
  }

  /** The id of the command whose emerge runs, if any. */
  get busy(): string | null {
    return this.running;
  }

  /**
   * Verifies and runs one command; never throws. Anything refused is logged with its reason and
   * runs nothing (a command already taken, quietly); a handler that fails is answered
   * `finished{success:false}` with the reason.
   */
  async handle(data: Uint8Array): Promise<void> {
    const cmd = this.gate.admit(data);
    if (cmd === null) return;
    try {
      await this.gate.accept(cmd);
      this.log.info({ commandId: cmd.id, action: cmd.action.case }, "command accepted");
      await this.dispatch(cmd);
    } catch (err) {
      this.log.error({ commandId: cmd.id, action: cmd.action.case, err }, "command failed");
      await this.progress.refuse(cmd.id, `the agent failed to carry it out: ${clip((err as Error).message ?? String(err), 500)}`);
    }
  }

  /** Whether the bytes are a verified command this node already took. */
  taken(data: Uint8Array): boolean {
    return this.gate.taken(data);
  }

  private async dispatch(cmd: Command): Promise<void> {
    const a = cmd.action;
    // Taken at once, even while an emerge runs: the commands after it may be signed with the new key.
    if (a.case === "trustKeys") return this.trustKeys(cmd.id, a.value.keys);
    // Likewise: binaries signed with a new binhost key may be on the binhost before the next command.
    if (a.case === "trustBinpkgKeys") return this.trustBinpkgKeys(cmd.id, a.value);
    if (a.case === "report") {
      this.reporter.request(`command ${cmd.id}`, true);
      return;
    }
    if (this.running !== null) {
      await this.progress.refuse(cmd.id, `busy: command ${this.running} is running`);
      this.log.warn({ commandId: cmd.id, running: this.running }, "command refused: another emerge is running");
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
      await this.progress.refuse(cmd.id, err.message);
      return;
    }
    this.running = cmd.id;
    try {
      await runEmergeJob(cmd.id, argv, this.runner, this.progress, this.log);
    } finally {
      this.running = null;
    }
    this.reporter.request(`after ${a.case}`, true);
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
      await this.progress.refuse(commandId, detail);
      return;
    }
    this.log.info({ commandId, ...fields }, replaced);
    await this.progress.succeeded(commandId);
  }
}
