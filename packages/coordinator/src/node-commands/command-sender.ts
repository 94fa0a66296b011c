import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { subjects } from "@binfleet/bus";
import type { Caller } from "@binfleet/api";
import type { SerialLock } from "@binfleet/daemon";
import { type Logger, signCommand } from "@binfleet/shared";
import type { CommandSchema } from "@binfleet/shared/wire";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type CommandSigningKey, commitSigningKey, createNextSigningKey } from "./signing-key.js";

export type CommandAction = MessageInitShape<typeof CommandSchema>["action"];

/** How long a command stays valid: an offline node that returns later runs nothing stale. */
const COMMAND_LIFETIME_MS = 24 * 3600_000;

/**
 * Signs and sends commands to nodes (through BINFLEET_COMMANDS, to each node's durable consumer),
 * in one increasing sequence, and rotates the key they are signed with.
 */
export class CommandSender {
  private seq = BigInt(Date.now()) * 1000n;

  constructor(
    private readonly js: JetStreamClient,
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
  async send(node: string, action: CommandAction, id: string = randomUUID()): Promise<void> {
    this.seq += 1n;
    const now = Date.now();
    const cmd = signCommand(
      { id, nodeId: node, sequence: this.seq, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + COMMAND_LIFETIME_MS), ...(action === undefined ? {} : { action }) },
      this.key.privateKey,
      this.key.keyId,
    );
    await this.js.publish(subjects.command(node), cmd);
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
      for (const node of nodes) await this.send(node, { case: "trustKeys", value: { keys: { [old.keyId]: old.publicKeyBase64, [next.keyId]: next.publicKeyBase64 } } });
      await commitSigningKey(this.stateDir);
      this.key = next;
      for (const node of nodes) await this.send(node, { case: "trustKeys", value: { keys: { [next.keyId]: next.publicKeyBase64 } } });
      this.log.info({ by: caller.name, role: caller.role, keyId: next.keyId, previousKeyId: old.keyId, nodes: nodes.length }, "command key rotated");
      return { keyId: next.keyId, previousKeyId: old.keyId, nodes };
    });
  }

  /** Tells a node which binhost keys to trust for a platform (and, when given, its binhost URL). */
  tellBinpkgKeys(node: string, platformKey: string, keys: readonly { fingerprint: string; publicKey: string }[], binhostUrl = ""): Promise<void> {
    return this.send(node, { case: "trustBinpkgKeys", value: { platformKey, keys: keys.map((k) => ({ fingerprint: k.fingerprint, publicKey: k.publicKey })), binhostUrl } });
  }
}
