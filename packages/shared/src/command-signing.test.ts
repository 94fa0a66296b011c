import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CommandRejectedError, publicKeyFromBase64, publicKeyToBase64, signCommand, signCommandBatch, verifySignedCommand } from "./command-signing.js";
import { SignedCommandSchema } from "./gen/binfleet/v1/command_pb.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keys = new Map([["k1", publicKeyFromBase64(publicKeyToBase64(publicKey))]]);
const now = 1_800_000_000_000;
const base = { id: "c1", nodeId: "node-1", sequence: 5n, issuedAtUnixMs: BigInt(now - 1000), expiresAtUnixMs: BigInt(now + 60_000), action: { case: "report" as const, value: {} } };
const opts = { nodeId: "node-1", keys, state: { lastSequence: 4n, seenIds: new Set<string>() }, now, maxBytes: 65536 };

function rejected(data: Uint8Array, reason: CommandRejectedError["reason"], o = opts): void {
  assert.throws(() => verifySignedCommand(data, o), (e: unknown) => e instanceof CommandRejectedError && e.reason === reason, reason);
}

describe("signed commands", () => {
  test("a good command verifies and decodes", () => {
    const cmd = verifySignedCommand(signCommand(base, privateKey, "k1"), opts);
    assert.equal(cmd.id, "c1");
    assert.equal(cmd.action.case, "report");
  });

  test("tampered, unsigned, wrong key, wrong node, expired, future, replayed, garbage, huge: all refused", () => {
    const good = signCommand(base, privateKey, "k1");
    const tampered = Uint8Array.from(good);
    tampered[8] = tampered[8]! ^ 0x01;
    rejected(tampered, "bad-signature");
    rejected(toBinary(SignedCommandSchema, create(SignedCommandSchema, { command: new Uint8Array([1, 2, 3]), keyId: "k1" })), "bad-signature");
    rejected(signCommand(base, generateKeyPairSync("ed25519").privateKey, "k1"), "bad-signature");
    rejected(signCommand(base, privateKey, "k2"), "unknown-key");
    rejected(signCommand({ ...base, nodeId: "node-2" }, privateKey, "k1"), "wrong-node");
    rejected(signCommand({ ...base, expiresAtUnixMs: BigInt(now - 1) }, privateKey, "k1"), "expired");
    rejected(signCommand({ ...base, issuedAtUnixMs: BigInt(now + 3_600_000) }, privateKey, "k1"), "not-yet-valid");
    rejected(good, "replayed", { ...opts, state: { lastSequence: 5n, seenIds: new Set() } });
    rejected(good, "duplicate", { ...opts, state: { lastSequence: 0n, seenIds: new Set(["c1"]) } });
    rejected(signCommand({ ...base, expiresAtUnixMs: BigInt(now - 1) }, privateKey, "k1"), "duplicate", { ...opts, state: { lastSequence: 5n, seenIds: new Set(["c1"]) } });
    rejected(new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x00]), "malformed");
    rejected(new Uint8Array(70_000), "too-large");
  });

  test("a batch: one signature over the root, each node's envelope verifies on its own", () => {
    const inits = Array.from({ length: 5 }, (_, i) => ({ ...base, id: `c${i}`, nodeId: `node-${i}`, sequence: BigInt(10 + i) }));
    const envelopes = signCommandBatch(inits, privateKey, "k1");
    const signatures = new Set(envelopes.map((e) => Buffer.from(fromBinary(SignedCommandSchema, e).signature).toString("hex")));
    assert.equal(signatures.size, 1, "one signature for the batch");
    envelopes.forEach((e, i) => assert.equal(verifySignedCommand(e, { ...opts, nodeId: `node-${i}` }).id, `c${i}`));
    // A batch of one is signed plainly: an agent without batch support verifies it.
    assert.equal(fromBinary(SignedCommandSchema, signCommandBatch([base], privateKey, "k1")[0]!).batch, undefined);
  });

  test("a batch envelope with another command, a bent proof, or stripped of its proof is refused", () => {
    const envelopes = signCommandBatch(Array.from({ length: 4 }, (_, i) => ({ ...base, id: `c${i}`, sequence: BigInt(10 + i) })), privateKey, "k1");
    const e = fromBinary(SignedCommandSchema, envelopes[2]!);
    const other = fromBinary(SignedCommandSchema, envelopes[1]!);
    const reencode = (changes: Partial<typeof e>): Uint8Array => toBinary(SignedCommandSchema, create(SignedCommandSchema, { ...e, ...changes }));
    rejected(reencode({ command: other.command }), "bad-signature");
    rejected(reencode({ batch: { ...e.batch!, leafIndex: 1n } }), "bad-signature");
    rejected(reencode({ batch: { ...e.batch!, treeSize: 9n } }), "bad-signature");
    rejected(reencode({ batch: { ...e.batch!, path: Uint8Array.from(e.batch!.path).reverse() } }), "bad-signature");
    rejected(reencode({ batch: { ...e.batch!, path: Buffer.concat([e.batch!.path, e.batch!.path.subarray(0, 32)]) } }), "bad-signature");
    rejected(reencode({ batch: { ...e.batch!, path: e.batch!.path.subarray(1) } }), "bad-signature");
    rejected(reencode({ batch: undefined }), "bad-signature");
    // A plain signature presented as a batch's: the command's own signature is not over any root.
    const plain = fromBinary(SignedCommandSchema, signCommand(base, privateKey, "k1"));
    rejected(toBinary(SignedCommandSchema, create(SignedCommandSchema, { command: plain.command, signature: plain.signature, keyId: plain.keyId, batch: { leafIndex: 0n, treeSize: 1n, path: new Uint8Array(0) } })), "bad-signature");
  });
});
