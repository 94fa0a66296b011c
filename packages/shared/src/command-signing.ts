import { type KeyObject, createPublicKey, sign, verify } from "node:crypto";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type Command, CommandSchema, SignedCommandSchema } from "./gen/binfleet/v1/command_pb.js";
import { clip } from "./clip.js";

/** Why a command was refused; the agent logs the reason and runs nothing. */
export class CommandRejectedError extends Error {
  override readonly name = "CommandRejectedError";
  constructor(
    message: string,
    readonly reason: "malformed" | "too-large" | "unknown-key" | "bad-signature" | "wrong-node" | "expired" | "replayed" | "not-yet-valid",
    readonly commandId: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Reads a coordinator public key as enrolled: base64 of the SPKI DER encoding. */
export function publicKeyFromBase64(b64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(b64, "base64"), format: "der", type: "spki" });
}

export function publicKeyToBase64(key: KeyObject): string {
  return key.export({ format: "der", type: "spki" }).toString("base64");
}

/** Encodes and Ed25519-signs a command; what the coordinator publishes. */
export function signCommand(init: MessageInitShape<typeof CommandSchema>, privateKey: KeyObject, keyId: string): Uint8Array {
  const command = toBinary(CommandSchema, create(CommandSchema, init));
  return toBinary(SignedCommandSchema, create(SignedCommandSchema, { command, signature: sign(null, command, privateKey), keyId }));
}

export interface ReplayState {
  /** Highest sequence accepted so far for this node. */
  readonly lastSequence: bigint;
  /** Ids accepted recently. */
  readonly seenIds: ReadonlySet<string>;
}

export interface VerifyOptions {
  readonly nodeId: string;
  readonly keys: ReadonlyMap<string, KeyObject>;
  readonly state: ReplayState;
  readonly now: number;
  /** Largest envelope accepted, in bytes. */
  readonly maxBytes: number;
  /** Tolerated clock skew for issued_at, in ms. */
  readonly skewMs?: number;
}

/**
 * Verifies a signed command before anything in it is trusted: size, envelope,
 * key, Ed25519 signature over the exact bytes, then node, expiry and replay.
 */
export function verifySignedCommand(data: Uint8Array, o: VerifyOptions): Command {
  if (data.length > o.maxBytes) throw new CommandRejectedError(`command of ${data.length} bytes exceeds ${o.maxBytes}`, "too-large");
  let envelope;
  try {
    envelope = fromBinary(SignedCommandSchema, data);
  } catch (err) {
    throw new CommandRejectedError(`not a signed command: ${clip((err as Error).message, 120)}`, "malformed", null, { cause: err });
  }
  const key = o.keys.get(envelope.keyId);
  if (key === undefined) throw new CommandRejectedError(`unknown signing key '${clip(envelope.keyId, 40)}'`, "unknown-key");
  if (envelope.signature.length === 0 || !verify(null, envelope.command, key, envelope.signature)) {
    throw new CommandRejectedError("signature does not verify", "bad-signature");
  }
  let cmd: Command;
  try {
    cmd = fromBinary(CommandSchema, envelope.command);
  } catch (err) {
    throw new CommandRejectedError("signed payload is not a command", "malformed", null, { cause: err });
  }
  if (cmd.nodeId !== o.nodeId) throw new CommandRejectedError(`command is for node '${clip(cmd.nodeId, 64)}'`, "wrong-node", cmd.id);
  if (cmd.id === "" || cmd.action.case === undefined) throw new CommandRejectedError("command has no id or no action", "malformed", cmd.id || null);
  if (Number(cmd.expiresAtUnixMs) <= o.now) throw new CommandRejectedError("command expired", "expired", cmd.id);
  if (Number(cmd.issuedAtUnixMs) > o.now + (o.skewMs ?? 5 * 60_000)) throw new CommandRejectedError("command issued in the future", "not-yet-valid", cmd.id);
  if (o.state.seenIds.has(cmd.id) || cmd.sequence <= o.state.lastSequence) {
    throw new CommandRejectedError(`replayed command (sequence ${cmd.sequence}, last ${o.state.lastSequence})`, "replayed", cmd.id);
  }
  return cmd;
}
