import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { FINGERPRINT_PATTERN, type SigningIdentity } from "./binpkg-keys.js";

/**
 * Portage's keyring for binary packages (/etc/portage/gnupg), kept the way getuto keeps it:
 * a local "Portage Local Trust Key" that the keyring owns (so gpg trusts it ultimately), and every
 * key binaries may be signed with imported and locally signed by it (`--quick-lsign-key`), which
 * makes them fully valid. No foreign key is ever given ultimate trust. A keyring getuto made is
 * used as it is (its local key and passphrase file, Gentoo's release keys kept); one that does not
 * exist is made as getuto would make it, but for an Ed25519 local key and gpg-agent's s2k-count.
 * Portage verifies with `--no-auto-check-trustdb`, so the trust database is brought up to date here
 * after every change, and left world-readable: Portage verifies as an unprivileged user.
 */

const LOCAL_KEY_UID = "Portage Local Trust Key (local signing only) <portage@localhost>";

async function gpg(home: string, args: readonly string[], input?: string): Promise<string> {
  const r = await execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--no-permission-warning", ...args], { ...(input === undefined ? {} : { input }), reject: false });
  if (r.exitCode !== 0) throw new Error(`gpg ${args.filter((a) => !a.startsWith("--passphrase")).join(" ")}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

/** How long a stopped gpg-agent is given to exit. */
const AGENT_EXIT_MS = 5000;

/** Whether something accepts connections on a unix socket (a dying agent's backlog does). */
const listening = (socket: string): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });

/**
 * Stops the gpg-agent a gpg call started for this home (nothing is left running on the node) and
 * waits until it is gone: `gpgconf --kill` returns while the agent is still exiting, and a gpg
 * started in that window connects to the dying agent's socket and fails ("can't connect to the
 * agent: End of file"), as an enrollment's import did right after its trust anchor was made.
 */
async function stopAgent(home: string): Promise<void> {
  const socket = (await execa("gpgconf", ["--homedir", home, "--list-dirs", "agent-socket"], { reject: false })).stdout.trim();
  await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { reject: false });
  // A socket file no agent listens on (one killed outright) refuses at once: not waited for.
  for (let waited = 0; socket !== "" && waited < AGENT_EXIT_MS && (await listening(socket)); waited += 20) await sleep(20);
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** The keyring's local trust key (its fingerprint), made as getuto makes it when the keyring has none. */
export async function ensureTrustAnchor(home: string): Promise<string> {
  try {
    return await trustAnchor(home);
  } finally {
    await stopAgent(home);
  }
}

/** ensureTrustAnchor, leaving the agent it may have started running for the caller's next gpg call. */
async function trustAnchor(home: string): Promise<string> {
  const idFile = join(home, "mykeyid");
  const passFile = join(home, "pass");
  const known = (await readFile(idFile, "utf8").catch(() => "")).trim();
  if (FINGERPRINT_PATTERN.test(known) && (await exists(passFile))) return known;
  if (!(await exists(home))) {
    // A fresh keyring, laid out as getuto lays it out.
    await mkdir(home, { recursive: true, mode: 0o755 });
    await writeFile(join(home, "gpg.conf"), "no-greeting\nno-permission-warning\n");
    // s2k-count at its minimum: key stretching guards a passphrase a person chose; this one is 32
    // random bytes kept beside the key (as getuto keeps its own). Left to calibrate, gpg-agent
    // spends 2.5 CPU-s making the key and 0.5 s unlocking it for each key it signs (measured here).
    // The setting is the keyring's: a key an admin adds here with a passphrase of their own gets it too.
    await writeFile(join(home, "gpg-agent.conf"), "disable-scdaemon\ns2k-count 65536\n");
    await writeFile(join(home, "dirmngr.conf"), "honor-http-proxy\nno-use-tor\n\nresolver-timeout 180\nconnect-timeout 180\n");
  }
  await chmod(home, 0o755);
  const pass = randomBytes(32).toString("base64");
  await writeFile(passFile, `${pass}\n`, { mode: 0o600 });
  // Ed25519 rather than getuto's RSA 3072: the same trust, made in milliseconds.
  await gpg(home, ["--passphrase-file", passFile, "--pinentry-mode", "loopback", "--quick-gen-key", LOCAL_KEY_UID, "ed25519", "sign", "never"]);
  const listing = await gpg(home, ["--with-colons", "--list-secret-keys", LOCAL_KEY_UID]);
  const fpr = /^sec:.*\nfpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
  if (fpr === undefined) throw new Error(`no local trust key in ${home} after making one`);
  await writeFile(idFile, `${fpr}\n`);
  return fpr;
}

/** Brings the trust database up to date (Portage verifies without doing so) and keeps it readable by Portage. */
async function refreshTrust(home: string): Promise<void> {
  await gpg(home, ["--no-autostart", "--check-trustdb"]);
  await chmod(join(home, "trustdb.gpg"), 0o644).catch(() => undefined);
}

/**
 * Makes Portage's keyring in `home` trust a binhost's signing key: imported, then locally signed
 * by the keyring's trust anchor (made first, as getuto would, when the keyring has none).
 */
export async function trustSigningKey(home: string, key: SigningIdentity): Promise<void> {
  try {
    // One agent for the anchor, the import and the signature, stopped once.
    const anchor = await trustAnchor(home);
    // Not --no-autostart: importing into a keyring that holds a secret key (the anchor) asks the
    // agent whether the new key has one too, and without an agent gpg 2.2 may fail the import
    // ("no gpg-agent running in this session"), seen when the anchor's agent was just stopped.
    await gpg(home, ["--import"], key.publicKey);
    await gpg(home, ["--yes", "--passphrase-file", join(home, "pass"), "--pinentry-mode", "loopback", "--default-key", anchor, "--quick-lsign-key", key.fingerprint]);
  } finally {
    await stopAgent(home);
  }
  await refreshTrust(home);
}

/** Removes a key from Portage's keyring: binaries it signed no longer verify there. */
export async function distrustSigningKey(home: string, fingerprint: string): Promise<void> {
  // Not --no-autostart either: gpg asks the agent whether a secret key goes with the public one.
  const r = await execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--yes", "--delete-keys", fingerprint], { reject: false }).finally(() => stopAgent(home));
  // Already gone is what was asked for.
  if (r.exitCode !== 0 && !/not found|No public key/i.test(r.stderr)) throw new Error(`gpg --delete-keys ${fingerprint}: ${r.stderr.trim()}`);
  await refreshTrust(home);
}

/** The validity Portage would see for a key in this keyring: gpg's colon-listing validity letter ("f" fully, "u" ultimately, …). */
export async function keyValidity(home: string, fingerprint: string): Promise<string> {
  const listing = await gpg(home, ["--no-autostart", "--with-colons", "--list-keys", fingerprint]).catch(() => "");
  return /^pub:([^:]*):/m.exec(listing)?.[1] ?? "";
}
