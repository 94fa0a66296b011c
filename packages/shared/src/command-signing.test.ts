import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { CommandRejectedError, publicKeyFromBase64, publicKeyToBase64, signCommand, verifySignedCommand } from "./command-signing.js";
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
    rejected(good, "replayed", { ...opts, state: { lastSequence: 0n, seenIds: new Set(["c1"]) } });
    rejected(new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x00]), "malformed");
    rejected(new Uint8Array(70_000), "too-large");
  });
});
