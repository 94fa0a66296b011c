import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { publicKeyToBase64 } from "@binfleet/shared";

export interface CommandSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** base64 SPKI DER: what nodes are enrolled with. */
  readonly publicKeyBase64: string;
}

/** Loads the coordinator's Ed25519 command-signing key, creating it (mode 0600) on first start. */
export async function loadOrCreateSigningKey(stateDir: string): Promise<CommandSigningKey> {
  const dir = join(stateDir, "keys");
  const file = join(dir, "command-signing-ed25519.pem");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(file, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    privateKey = generateKeyPairSync("ed25519").privateKey;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  }
  const publicKeyBase64 = publicKeyToBase64(createPublicKey(privateKey));
  return { keyId: createHash("sha256").update(publicKeyBase64).digest("hex").slice(0, 16), privateKey, publicKeyBase64 };
}
