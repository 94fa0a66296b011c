// Test helpers: OpenPGP keys as the coordinator makes them and enrollment trusts them, with the real gpg.
import { mkdir } from "node:fs/promises";
import { execa } from "execa";

/** A signing key in `home` (as the coordinator creates one), returning its fingerprint and public key. */
export async function makeSigningKey(home: string): Promise<{ fpr: string; pub: string }> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await execa("gpg", ["--homedir", home, "--batch", "--passphrase", "", "--yes", "--quick-gen-key", "Binfleet Test Builder <builder@binfleet.invalid>", "ed25519", "sign", "never"]);
  const list = (await execa("gpg", ["--homedir", home, "--batch", "--with-colons", "--list-keys"])).stdout;
  // The newest key: a home may already hold one (a rotation).
  const fpr = [...list.matchAll(/^fpr:+([0-9A-F]{40}):/gm)].pop()![1]!;
  const pub = (await execa("gpg", ["--homedir", home, "--batch", "--armor", "--export", fpr])).stdout;
  return { fpr, pub };
}

/** Trusts a key in a Portage verify home (what enrollment does on a node). */
export async function trustKey(home: string, pub: string, fpr: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await execa("gpg", ["--homedir", home, "--batch", "--import"], { input: pub });
  await execa("gpg", ["--homedir", home, "--batch", "--import-ownertrust"], { input: `${fpr}:6:\n` });
}

