import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { publicKeyToBase64 } from "@binfleet/shared";

export interface CommandSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** base64 SPKI DER: what nodes are enrolled with. */
  readonly publicKeyBase64: string;
}

const KEY_FILE = "command-signing-ed25519.pem";

function describe(privateKey: KeyObject): CommandSigningKey {
  const publicKeyBase64 = publicKeyToBase64(createPublicKey(privateKey));
  return { keyId: createHash("sha256").update(publicKeyBase64).digest("hex").slice(0, 16), privateKey, publicKeyBase64 };
}

async function writeKey(file: string, privateKey: KeyObject): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.tmp`, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** Loads the coordinator's Ed25519 command-signing key, creating it (mode 0600) on first start. */
export async function loadOrCreateSigningKey(stateDir: string): Promise<CommandSigningKey> {
  const file = join(stateDir, "keys", KEY_FILE);
  try {
    return describe(createPrivateKey(await readFile(file, "utf8")));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const privateKey = generateKeyPairSync("ed25519").privateKey;
  await writeKey(file, privateKey);
  return describe(privateKey);
}

/**
 * A new command-signing key for a rotation, saved beside the current one (`.next`) until
 * commitSigningKey makes it current; a coordinator that dies in between keeps signing with the
 * old key, which nodes still trust.
 */
export async function createNextSigningKey(stateDir: string): Promise<CommandSigningKey> {
  const privateKey = generateKeyPairSync("ed25519").privateKey;
  await writeKey(join(stateDir, "keys", `${KEY_FILE}.next`), privateKey);
  return describe(privateKey);
}

/** Makes the `.next` key current; the old one is kept as `.previous`. */
export async function commitSigningKey(stateDir: string): Promise<void> {
  const dir = join(stateDir, "keys");
  await copyFile(join(dir, KEY_FILE), join(dir, `${KEY_FILE}.previous`));
  await rename(join(dir, `${KEY_FILE}.next`), join(dir, KEY_FILE));
}
