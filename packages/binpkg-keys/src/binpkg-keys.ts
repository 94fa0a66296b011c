import { mkdir } from "node:fs/promises";
import { execa } from "execa";

export interface SigningIdentity {
  readonly fingerprint: string;
  /** ASCII-armored public key: what enrollment installs into a node's Portage keyring. */
  readonly publicKey: string;
}

const gpg = (home: string, args: readonly string[], input?: string) =>
  execa("gpg", ["--homedir", home, "--batch", "--no-tty", ...args], { ...(input === undefined ? {} : { input }), reject: true });

/**
 * The OpenPGP key a builder signs binpkgs with (FEATURES=binpkg-signing),
 * created on first use: Ed25519, no passphrase, no expiry, in `home`.
 */
export async function ensureSigningKey(home: string, uid: string): Promise<SigningIdentity> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  let list = (await gpg(home, ["--with-colons", "--list-secret-keys"]).catch(() => ({ stdout: "" }))).stdout;
  if (!/^fpr:/m.test(list)) {
    await gpg(home, ["--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"]);
    list = (await gpg(home, ["--with-colons", "--list-secret-keys"])).stdout;
  }
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(list)![1]!;
  const publicKey = (await gpg(home, ["--armor", "--export", fingerprint])).stdout;
  return { fingerprint, publicKey };
}

/**
 * Makes a Portage verify home trust a signing key, as getuto would: import it
 * and give it full trust, readable by the unprivileged user Portage verifies as.
 */
export async function trustSigningKey(home: string, key: SigningIdentity): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o755 });
  // Public keys and trust need no gpg-agent: none is started, so none is left running on the node.
  await gpg(home, ["--no-autostart", "--import"], key.publicKey);
  await gpg(home, ["--no-autostart", "--import-ownertrust"], `${key.fingerprint}:6:\n`);
}
