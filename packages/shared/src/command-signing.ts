import { type KeyObject, createPublicKey, sign, verify } from "node:crypto";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type BatchInclusion, type Command, CommandSchema, SignedCommandSchema } from "./gen/binfleet/v1/command_pb.js";
import { clip } from "./clip.js";
import { MERKLE_HASH_BYTES, merkleTree, rootFromInclusionProof } from "./merkle-tree.js";

/** Why a command was refused; the agent logs the reason and runs nothing. */
export class CommandRejectedError extends Error {
  override readonly name = "CommandRejectedError";
  constructor(
    message: string,
    /** `duplicate`: a command this node already took (sent again, or read again when catching up); `replayed`: an older sequence under an id it does not know. */
    readonly reason: "malformed" | "too-large" | "unknown-key" | "bad-signature" | "wrong-node" | "expired" | "duplicate" | "replayed" | "not-yet-valid",
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

export type CommandInit = MessageInitShape<typeof CommandSchema>;

/** Encodes and Ed25519-signs a command; what the coordinator publishes. */
export function signCommand(init: CommandInit, privateKey: KeyObject, keyId: string): Uint8Array {
  const command = toBinary(CommandSchema, create(CommandSchema, init));
  return toBinary(SignedCommandSchema, create(SignedCommandSchema, { command, signature: sign(null, command, privateKey), keyId }));
}

/** What a batch signature is over: a zero byte first, so it is never an encoded Command (field 0 does not exist). */
const BATCH_DOMAIN = new TextEncoder().encode("\0binfleet command batch v1\0");

const batchSigned = (root: Uint8Array): Uint8Array => Buffer.concat([BATCH_DOMAIN, root]);

/**
 * Encodes and signs many commands with one Ed25519 signature over their Merkle root; each envelope
 * carries its command and the proof that it is in the batch (SignedCommand.batch). One command is
 * signed on its own.
 */
export function signCommandBatch(inits: readonly CommandInit[], privateKey: KeyObject, keyId: string): Uint8Array[] {
  if (inits.length <= 1) return inits.map((init) => signCommand(init, privateKey, keyId));
  const commands = inits.map((init) => toBinary(CommandSchema, create(CommandSchema, init)));
  const tree = merkleTree(commands);
  const signature = sign(null, batchSigned(tree.root), privateKey);
  const treeSize = BigInt(tree.size);
  return commands.map((command, i) => toBinary(SignedCommandSchema, create(SignedCommandSchema, { command, signature, keyId, batch: { leafIndex: BigInt(i), treeSize, path: Buffer.concat(tree.proof(i)) } })));
}

/** The bytes the envelope's signature must be over, or null when its batch proof is malformed. */
function signedBytes(command: Uint8Array, batch: BatchInclusion | undefined): Uint8Array | null {
  if (batch === undefined) return command;
  if (batch.path.length % MERKLE_HASH_BYTES !== 0) return null;
  const path = Array.from({ length: batch.path.length / MERKLE_HASH_BYTES }, (_, i) => batch.path.subarray(i * MERKLE_HASH_BYTES, (i + 1) * MERKLE_HASH_BYTES));
  const root = rootFromInclusionProof(command, batch.leafIndex, batch.treeSize, path);
  return root === null ? null : batchSigned(root);
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
 * Verifies a signed command before anything in it is trusted: size, envelope, key, Ed25519
 * signature over the exact bytes (or over the root its batch proof leads to), then node, replay
 * and expiry.
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
  const signed = signedBytes(envelope.command, envelope.batch);
  if (signed === null) throw new CommandRejectedError("batch inclusion proof does not fit its batch", "bad-signature");
  if (envelope.signature.length === 0 || !verify(null, signed, key, envelope.signature)) {
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
  // Before expiry: a command taken long ago and read again is a duplicate, not news.
  if (o.state.seenIds.has(cmd.id)) throw new CommandRejectedError(`command already taken (sequence ${cmd.sequence})`, "duplicate", cmd.id);
  if (Number(cmd.expiresAtUnixMs) <= o.now) throw new CommandRejectedError("command expired", "expired", cmd.id);
  if (Number(cmd.issuedAtUnixMs) > o.now + (o.skewMs ?? 5 * 60_000)) throw new CommandRejectedError("command issued in the future", "not-yet-valid", cmd.id);
  if (cmd.sequence <= o.state.lastSequence) throw new CommandRejectedError(`replayed command (sequence ${cmd.sequence}, last ${o.state.lastSequence})`, "replayed", cmd.id);
  return cmd;
}
