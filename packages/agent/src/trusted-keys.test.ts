import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { publicKeyToBase64 } from "@binfleet/shared";
import { TrustedKeys, TrustedKeysError } from "./trusted-keys.js";

const ed25519 = (): string => publicKeyToBase64(generateKeyPairSync("ed25519").publicKey);

test("trusted keys: replaced whole or not at all, kept across restarts, reset by a new enrollment", async () => {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-keys-"));
  try {
    const enrolled = { k1: ed25519() };
    const keys = await TrustedKeys.load(dir, enrolled);
    assert.deepEqual([...keys.keys.keys()], ["k1"]);
    // A set with one bad key changes nothing: an RSA key, garbage, an empty set.
    const rsa = publicKeyToBase64(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey);
    for (const bad of [{ k2: ed25519(), k3: rsa }, { k2: "bm90IGEga2V5" }, {}, { "../x": ed25519() }]) await assert.rejects(keys.replace(bad), TrustedKeysError);
    assert.deepEqual([...keys.keys.keys()], ["k1"]);
    await keys.replace({ k2: ed25519() });
    assert.deepEqual([...keys.keys.keys()], ["k2"]);
    assert.deepEqual([...(await TrustedKeys.load(dir, enrolled)).keys.keys()], ["k2"], "a restarted agent keeps the rotated key");
    assert.deepEqual([...(await TrustedKeys.load(dir, { k9: ed25519() })).keys.keys()], ["k9"], "enrolling again starts over from the config");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
