import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { execa } from "execa";

export interface SigningIdentity {
  readonly fingerprint: string;
  /** ASCII-armored public key: what enrollment installs into a node's Portage keyring. */
  readonly publicKey: string;
}

/** An OpenPGP v4 fingerprint as gpg prints it in colon listings. */
export const FINGERPRINT_PATTERN = /^[0-9A-F]{40}$/;

const gpg = (home: string, args: readonly string[], input?: string) =>
  execa("gpg", ["--homedir", home, "--batch", "--no-tty", ...args], { ...(input === undefined ? {} : { input }), reject: true });

/** Fingerprints of the secret keys in a signing home, oldest first (gpg lists them in creation order). */
export async function listSigningKeys(home: string): Promise<string[]> {
  const list = (await gpg(home, ["--with-colons", "--list-secret-keys"]).catch(() => ({ stdout: "" }))).stdout;
  // Only the primary key's fpr line (the one right after "sec"): subkeys have their own.
  return [...list.matchAll(/^sec:.*\nfpr:+([0-9A-F]{40}):/gm)].map((m) => m[1]!);
}

/** A signing key's identity: its fingerprint and exported public key. */
export async function signingIdentity(home: string, fingerprint: string): Promise<SigningIdentity> {
  const publicKey = (await gpg(home, ["--armor", "--export", fingerprint])).stdout;
  if (publicKey === "") throw new Error(`no key ${fingerprint} in ${home}`);
  return { fingerprint, publicKey };
}

/**
 * Why gpg cannot keep its agent's sockets in `home`, or null: gpg takes a Unix socket path of at
 * most 106 bytes (sun_path holds 108 with its NUL; GnuPG 2.2 fails at 107, measured), and without
 * /run/user/<uid> it puts them in the home itself (S.gpg-agent.browser being the longest name).
 * Making a key there fails with "No agent running".
 */
export function gpgHomeProblem(home: string): string | null {
  const longest = `${home}/S.gpg-agent.browser`;
  return Buffer.byteLength(longest) > 106 && !existsSync(`/run/user/${process.getuid?.() ?? 0}`) ? `${home} is too long for gpg-agent's sockets (${Buffer.byteLength(longest)} bytes with S.gpg-agent.browser, at most 106): use a shorter path` : null;
}

/** A new OpenPGP key for FEATURES=binpkg-signing: Ed25519, no passphrase, no expiry, in `home`. */
export async function createSigningKey(home: string, uid: string): Promise<SigningIdentity> {
  const problem = gpgHomeProblem(home);
  if (problem !== null) throw new Error(problem);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const before = new Set(await listSigningKeys(home));
  // --quick-gen-key refuses a uid that exists unless forced: a rotated key has the same uid.
  await gpg(home, ["--passphrase", "", "--yes", "--quick-gen-key", uid, "ed25519", "sign", "never"]);
  const created = (await listSigningKeys(home)).find((f) => !before.has(f));
  if (created === undefined) throw new Error(`gpg created no key in ${home}`);
  return signingIdentity(home, created);
}

/** The first signing key in `home`, created on first use. */
export async function ensureSigningKey(home: string, uid: string): Promise<SigningIdentity> {
  const first = (await listSigningKeys(home))[0];
  return first === undefined ? createSigningKey(home, uid) : signingIdentity(home, first);
}
