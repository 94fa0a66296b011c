import { CommandRejectedError, type Logger, verifySignedCommand } from "@binfleet/shared";
import type { Command } from "@binfleet/shared/wire";
import type { CommandState } from "./command-state.js";
import type { TrustedKeys } from "./trusted-keys.js";

export interface CommandGateOptions {
  readonly nodeId: string;
  /** Largest command envelope accepted, in bytes. */
  readonly maxBytes: number;
  readonly keys: Pick<TrustedKeys, "keys">;
  readonly state: CommandState;
  readonly log: Logger;
}

/**
 * What gets through to a node: commands verified against the coordinator keys it trusts and its
 * replay state, each recorded before it runs. A command it already took comes again whenever live
 * delivery and a catch-up from the stream overlap, or the coordinator resends one: that is passed
 * over quietly. Anything else refused (forged, expired, an old sequence under an unknown id) is
 * logged with its reason.
 */
export class CommandGate {
  constructor(private readonly o: CommandGateOptions) {}

  /** The verified command, or null when it was refused (logged) or already taken. */
  admit(data: Uint8Array): Command | null {
    try {
      return this.verify(data);
    } catch (err) {
      if (!(err instanceof CommandRejectedError)) this.o.log.error({ err, bytes: data.length }, "command not verified");
      else if (err.reason === "duplicate") this.o.log.debug({ commandId: err.commandId }, "command already taken");
      else this.o.log.warn({ reason: err.reason, commandId: err.commandId, bytes: data.length, detail: err.message }, "command refused");
      return null;
    }
  }

  /** Whether the bytes are a verified command this node already took. */
  taken(data: Uint8Array): boolean {
    try {
      this.verify(data);
      return false;
    } catch (err) {
      return err instanceof CommandRejectedError && err.reason === "duplicate";
    }
  }

  /** Records an admitted command before it runs: a crash cannot make it run twice. */
  accept(cmd: Command): Promise<void> {
    return this.o.state.accept(cmd.id, cmd.sequence);
  }

  private verify(data: Uint8Array): Command {
    return verifySignedCommand(data, { nodeId: this.o.nodeId, keys: this.o.keys.keys, state: this.o.state.replayState(), now: Date.now(), maxBytes: this.o.maxBytes });
  }
}
