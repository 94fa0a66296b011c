import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { publishConfirmed, subjects } from "@binfleet/bus";
import type { Caller } from "@binfleet/api";
import type { SerialLock } from "@binfleet/daemon";
import { type Logger, signCommandBatch } from "@binfleet/shared";
import type { CommandSchema } from "@binfleet/shared/wire";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CommandSigningKey, commitSigningKey, createNextSigningKey } from "./signing-key.js";

export type CommandAction = MessageInitShape<typeof CommandSchema>["action"];

/** One command for one node; with an id, a resend of the same command is recognised as such. */
export interface NodeCommand {
  readonly node: string;
  readonly action: CommandAction;
  readonly id?: string;
}

/** The bus as the sender uses it: the coordinator's connection and an inbox prefix it may subscribe under. */
export interface CommandBus {
  readonly nc: NatsConnection;
  readonly inbox: string;
}

/** Commands the commands stream never confirmed storing, after every attempt. */
export class CommandsNotSentError extends Error {
  override readonly name = "CommandsNotSentError";
  constructor(
    /** The nodes whose command may not have been kept for them. */
    readonly nodes: readonly string[],
    readonly reason: string,
  ) {
    super(`commands to ${nodes.length} node(s) (${nodes.slice(0, 5).join(", ")}${nodes.length > 5 ? ", …" : ""}) not confirmed stored: ${reason}`);
  }
}

/** How long a command stays valid: an offline node that returns later runs nothing stale. */
const COMMAND_LIFETIME_MS = 24 * 3600_000;
/** How long to wait for the stream's acknowledgements of one send before resending what is missing. */
const ACK_TIMEOUT_MS = 5000;
const ATTEMPTS = 3;

/**
 * Signs and sends commands to nodes, in one increasing sequence, and rotates the key they are
 * signed with. Each node gets its command live on its subject; the BINFLEET_COMMANDS stream keeps
 * it for a node that is away (it catches up when it returns).
 */
export class CommandSender {
  private seq = BigInt(Date.now()) * 1000n;

  constructor(
    private readonly bus: CommandBus,
    private key: CommandSigningKey,
    private readonly stateDir: string,
    /** Enrollments and rotations take turns: each changes what enrollment hands out. */
    private readonly enrolling: SerialLock,
    private readonly log: Logger,
  ) {}

  /** The key commands are signed with now: what enrollment gives nodes to trust. */
  get signingKey(): CommandSigningKey {
    return this.key;
  }

  /** Signs and sends a command to one node (with the given id, so a resend is recognised). */
  send(node: string, action: CommandAction, id: string = randomUUID()): Promise<void> {
    return this.sendMany([{ node, action, id }]);
  }

  /**
   * Signs commands for many nodes with one signature (over their Merkle root; each node's
   * envelope proves its command is in the batch) and sends them all at once. Resolves when the
   * stream confirmed keeping every one. One it did not confirm is signed again (a new sequence,
   * the same id and message id: stored once, and a node that got the first copy passes over the
   * second) and resent; after the last attempt, CommandsNotSentError names the nodes.
   */
  async sendMany(commands: readonly NodeCommand[]): Promise<void> {
    let pending = commands.map((c) => ({ ...c, id: c.id ?? randomUUID() }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const envelopes = this.sign(pending);
      const messages = pending.map((c, i) => ({ subject: subjects.command(c.node), data: envelopes[i]!, msgId: c.id }));
      const unconfirmed = await publishConfirmed(this.bus.nc, this.bus.inbox, messages, ACK_TIMEOUT_MS);
      if (unconfirmed.length === 0) return;
      const missed = unconfirmed.map((u) => pending[u.index]!);
      const reason = unconfirmed[0]!.reason;
      if (attempt === ATTEMPTS) throw new CommandsNotSentError([...new Set(missed.map((c) => c.node))], reason);
      this.log.warn({ commands: missed.length, of: pending.length, attempt, reason }, "commands not confirmed stored: resending");
      pending = missed;
    }
  }

  private sign(commands: readonly (NodeCommand & { id: string })[]): Uint8Array[] {
    const now = Date.now();
    return signCommandBatch(
      commands.map((c) => {
        this.seq += 1n;
        return { id: c.id, nodeId: c.node, sequence: this.seq, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + COMMAND_LIFETIME_MS), ...(c.action === undefined ? {} : { action: c.action }) };
      }),
      this.key.privateKey,
      this.key.keyId,
    );
  }

  /**
   * Rotates the command-signing key without re-enrolling anyone: every node given is sent, in
   * order, "trust {old, new}" signed with the old key, then the coordinator signs with the new key,
   * starting with "trust {new}" (the old key retired). Nodes take their commands in order, so each
   * trusts the new key before it meets it; an offline node gets both when it returns.
   */
  rotate(nodesToTell: () => string[], caller: Caller): Promise<{ keyId: string; previousKeyId: string; nodes: string[] }> {
    return this.enrolling(async () => {
      const old = this.key;
      const next = await createNextSigningKey(this.stateDir);
      const nodes = nodesToTell();
      // The first batch is kept for every node before the second is sent: nodes meet them in order.
      await this.sendMany(nodes.map((node) => ({ node, action: { case: "trustKeys", value: { keys: { [old.keyId]: old.publicKeyBase64, [next.keyId]: next.publicKeyBase64 } } } })));
      await commitSigningKey(this.stateDir);
      this.key = next;
      await this.sendMany(nodes.map((node) => ({ node, action: { case: "trustKeys", value: { keys: { [next.keyId]: next.publicKeyBase64 } } } })));
      this.log.info({ by: caller.name, role: caller.role, keyId: next.keyId, previousKeyId: old.keyId, nodes: nodes.length }, "command key rotated");
      return { keyId: next.keyId, previousKeyId: old.keyId, nodes };
    });
  }

  /** Tells a node which binhost keys to trust for a platform (and, when given, its binhost URL). */
  tellBinpkgKeys(node: string, platformKey: string, keys: readonly { fingerprint: string; publicKey: string }[], binhostUrl = ""): Promise<void> {
    return this.send(node, { case: "trustBinpkgKeys", value: { platformKey, keys: keys.map((k) => ({ fingerprint: k.fingerprint, publicKey: k.publicKey })), binhostUrl } });
  }
}
