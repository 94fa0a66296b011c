import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DigestCache } from "./digest-cache.js";
import { lazyExeca } from "./lazy-execa.js";
import { SimError } from "./errors.js";
import { clearSignature, detachedSignature } from "./openpgp-signature.js";
import { type SigningKey, signingKey } from "./signing-key.js";

/**
 * Signs as Portage's default signing command does (gpg --sign --armor … --batch --no-tty, minus
 * the flock). With an Ed25519 key the simulator can use itself, the signature is made in the
 * process, packet for packet as gpg makes it; otherwise gpg makes it. With a cache, what
 * gpg --verify will say of the new signature is kept for gpgVerify (see knownGood).
 */
export async function gpgSign(home: string, key: string, digest: string, data: Buffer, mode: "detach" | "clear", cache: DigestCache | null = null): Promise<Buffer> {
  const owner = await signingKey(home, key);
  const detached = mode === "detach" ? data : undefined;
  const created = Math.floor(Date.now() / 1000);
  const inProcess = owner?.inProcess ?? null;
  const made = inProcess === null ? null : mode === "detach" ? detachedSignature(inProcess, data, digest, created) : clearSignature(inProcess, data, digest, created);
  if (owner !== null && made !== null) {
    await keepGood(cache, owner, made.armored, detached, { pkAlgo: "22", hashAlgo: String(made.hashAlgorithm), sigClass: made.signatureClass, created: String(created), fpr: owner.primary });
    return made.armored;
  }
  const args = ["--sign", "--armor", "--homedir", home, "--digest-algo", digest, "--local-user", key, mode === "detach" ? "--detach-sig" : "--clear-sign", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--status-fd", "2"];
  const r = await (await lazyExeca())("gpg", args, { input: data, encoding: "buffer", reject: false });
  const stderr = Buffer.from(r.stderr).toString();
  if (r.exitCode !== 0) throw new SimError(`!!! GnuPG signing failed: ${stderr.split("\n").filter((l) => !l.startsWith("[GNUPG:]")).join("\n").trim()}`);
  const signature = Buffer.from(r.stdout);
  // SIG_CREATED <type> <pubkey algo> <hash algo> <class> <timestamp> <signing key fingerprint>
  const m = /^\[GNUPG:\] SIG_CREATED \S+ (\d+) (\d+) ([0-9A-Fa-f]{2}) (\d+) ([0-9A-F]{40})$/m.exec(stderr);
  // Only a signature by the primary key itself: a subkey's own validity is not what knownGood asks.
  if (owner !== null && m !== null && m[5] === owner.primary) {
    await keepGood(cache, owner, signature, detached, { pkAlgo: m[1]!, hashAlgo: m[2]!, sigClass: m[3]!, created: m[4]!, fpr: m[5] });
  }
  return signature;
}

/** The cache key of gpg's verdict on a detached signature and its data, or on a clear-signed text. */
const verdictKey = (signed: Buffer, detachedData?: Buffer): string =>
  detachedData === undefined ? DigestCache.key("gpg --verify", signed) : DigestCache.key("gpg --verify detached", signed, detachedData);

/**
 * A signature just made with a key is good by construction: the GOODSIG and VALIDSIG status lines
 * gpg --verify prints for it (the tests compare VALIDSIG with gpg's own) are kept, so that opening
 * the package later runs no gpg where the key is fully valid (knownGood still asks each home).
 */
async function keepGood(cache: DigestCache | null, owner: SigningKey, signed: Buffer, detachedData: Buffer | undefined, sig: { pkAlgo: string; hashAlgo: string; sigClass: string; created: string; fpr: string }): Promise<void> {
  const date = new Date(Number(sig.created) * 1000).toISOString().slice(0, 10);
  await cache?.put(verdictKey(signed, detachedData), Buffer.from(`[GNUPG:] GOODSIG ${sig.fpr.slice(-16)} ${owner.uid}\n[GNUPG:] VALIDSIG ${sig.fpr} ${date} ${sig.created} 0 4 0 ${sig.pkAlgo} ${sig.hashAlgo} ${sig.sigClass} ${owner.primary}\n`));
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Portage's summary line when not ok. */
  readonly summary: string;
  /** gpg's raw output, which Portage prints after the summary. */
  readonly raw: string;
}

/**
 * A key's validity in a home (`gpg --with-colons` letter: f full, u ultimate, …), "" when the home lacks it.
 * @binfleet/binpkg-keys has the same query; it is not imported because it loads execa at import,
 * and every simulated Portage call is a process whose start-up loads execa only when it runs gpg.
 */
async function keyValidity(home: string, fpr: string): Promise<string> {
  const r = await (await lazyExeca())("gpg", ["--homedir", home, "--batch", "--no-tty", "--with-colons", "--list-keys", fpr], { reject: false });
  return r.exitCode === 0 ? (/^pub:([^:]*):/m.exec(r.stdout)?.[1] ?? "") : "";
}

/**
 * A signature gpg found good before (same signature, same bytes), for a home where its key is
 * fully or ultimately valid: the verdict holds without running gpg again. Anything else (not
 * seen, key missing, revoked, expired or of undefined trust here) is left to gpg itself.
 */
async function knownGood(home: string, key: string, cache: DigestCache): Promise<string | null> {
  const status = (await cache.get(key))?.toString("utf8");
  if (status === undefined || !/^\[GNUPG:\] GOODSIG /m.test(status)) return null;
  // VALIDSIG's last field is the primary key's fingerprint, which validity belongs to.
  const fpr = /^\[GNUPG:\] VALIDSIG .* ([0-9A-F]{40})$/m.exec(status)?.[1];
  if (fpr === undefined) return null;
  const validity = await cache.remember(`validity ${home} ${fpr}`, () => keyValidity(home, fpr));
  return validity === "f" || validity === "u" ? status : null;
}

/**
 * Verifies a detached or clear signature as Portage's gpkg verifier does: it
 * needs `[GNUPG:] GOODSIG` and TRUST_FULLY or TRUST_ULTIMATE in the status output.
 * With a cache, a good verdict is kept by the signature's and data's digest (see knownGood).
 */
export async function gpgVerify(home: string, signed: Buffer, detachedData?: Buffer, cache: DigestCache | null = null): Promise<VerifyResult> {
  const key = verdictKey(signed, detachedData);
  const known = cache === null ? null : await knownGood(home, key, cache);
  if (known !== null) return { ok: true, summary: "", raw: known.trim() };
  const files: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), "binfleet-sim-gpg-"));
  try {
    const sig = join(dir, "sig.asc");
    await writeFile(sig, signed);
    files.push(sig);
    if (detachedData !== undefined) {
      const data = join(dir, "data");
      await writeFile(data, detachedData);
      files.push(data);
    }
    const r = await (await lazyExeca())("gpg", ["--homedir", home, "--batch", "--no-tty", "--status-fd", "1", "--verify", ...files], { reject: false });
    const status = r.stdout;
    const raw = `${r.stdout}\n${r.stderr}`.trim();
    if (/\[GNUPG:\] BADSIG/.test(status)) return { ok: false, summary: "(none available)", raw };
    if (/\[GNUPG:\] NO_PUBKEY|\[GNUPG:\] ERRSIG/.test(status)) return { ok: false, summary: "binpkg signed with at least one unknown key.", raw };
    if (!/\[GNUPG:\] GOODSIG/.test(status)) return { ok: false, summary: "binpkg appears unsigned", raw };
    if (!/\[GNUPG:\] TRUST_(FULLY|ULTIMATE)/.test(status)) return { ok: false, summary: "binpkg signed with a known key of undefined trust.", raw };
    await cache?.put(key, Buffer.from(status));
    return { ok: true, summary: "", raw };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
