import { lazyExeca } from "./lazy-execa.js";
import { type OpenPgpSigningKey, readExportedSigningKey } from "./openpgp-signature.js";

/** The secret key BINPKG_GPG_SIGNING_KEY names in a signing home, as gpg lists it. */
export interface SigningKey {
  /** Primary key fingerprint. */
  readonly primary: string;
  /** First user id. */
  readonly uid: string;
  /** The key itself, when the simulator may sign with it without gpg (see openpgp-signature.ts). */
  readonly inProcess: OpenPgpSigningKey | null;
}

/** gpg's validity letters of keys it will not sign with: expired, revoked, disabled, invalid. */
const UNUSABLE = new Set(["e", "r", "d", "i"]);

async function lookUp(home: string, key: string): Promise<SigningKey | null> {
  const execa = await lazyExeca();
  const list = await execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--with-colons", "--list-secret-keys", key], { reject: false });
  if (list.exitCode !== 0) return null;
  const records = list.stdout.split("\n").map((l) => l.split(":"));
  const secs = records.flatMap((f, i) => (f[0] === "sec" ? [i] : []));
  // None, or a name several keys answer to (a rotated key keeps its user id): which one gpg signs
  // with is gpg's to say, so nothing is claimed about it.
  if (secs.length !== 1) return null;
  const primary = records.slice(secs[0]! + 1).find((f) => f[0] === "fpr")?.[9];
  if (primary === undefined) return null;
  const uid = records.find((f) => f[0] === "uid")?.[9] ?? "";
  const sec = records[secs[0]!]!;
  // A primary key that may sign and has no subkeys: it is what gpg signs with. Anything else is gpg's to choose.
  const own = !UNUSABLE.has(sec[1] ?? "") && (sec[11] ?? "").includes("s") && !records.some((f) => f[0] === "ssb");
  if (!own) return { primary, uid, inProcess: null };
  const exported = await execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", primary], { encoding: "buffer", reject: false });
  const signing = exported.exitCode === 0 ? readExportedSigningKey(Buffer.from(exported.stdout)) : null;
  return { primary, uid, inProcess: signing?.fingerprint === primary ? signing : null };
}

const known = new Map<string, Promise<SigningKey | null>>();

/** The one signing key `key` names in `home` (looked up once per run), or null when gpg lists none or several. */
export function signingKey(home: string, key: string): Promise<SigningKey | null> {
  const id = `${home}\0${key}`;
  let p = known.get(id);
  if (p === undefined) known.set(id, (p = lookUp(home, key)));
  return p;
}
