import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FINGERPRINT_PATTERN, distrustSigningKey, trustSigningKey } from "@binfleet/binpkg-keys";
import { ZOD_ENGLISH } from "@binfleet/shared";
import * as z from "zod/mini";

export class BinpkgTrustError extends Error {
  override readonly name = "BinpkgTrustError";
}

// zod/mini, as the agent's config: the idle agent holds these schemas too.
const KeySetSchema = z
  .array(
    z.object({
      fingerprint: z.string().check(z.regex(FINGERPRINT_PATTERN, "a fingerprint is 40 upper-case hex digits")),
      publicKey: z.string().check(z.maxLength(16 * 1024), z.startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----", "not an armored OpenPGP public key")),
    }),
  )
  .check(z.minLength(1), z.maxLength(8));

export interface BinpkgKey {
  readonly fingerprint: string;
  readonly publicKey: string;
}

/**
 * The binhost keys binfleet makes the node's Portage trust (its verify home, etc/portage/gnupg).
 * `replace` trusts exactly the given set: keys binfleet trusted before and not listed now are
 * removed, so binaries they signed no longer verify. Keys binfleet did not add (the admin's, or
 * Gentoo's from getuto) are never touched: which ones are binfleet's is kept in stateDir.
 */
export class BinpkgTrust {
  constructor(
    private readonly verifyHome: string,
    private readonly stateDir: string,
  ) {}

  static forNode(root: string, stateDir: string): BinpkgTrust {
    return new BinpkgTrust(join(root, "etc/portage/gnupg"), stateDir);
  }

  private get file(): string {
    return join(this.stateDir, "binpkg-keys.json");
  }

  /** The fingerprints binfleet made Portage trust. */
  async trusted(): Promise<string[]> {
    const saved = await readFile(this.file, "utf8").then(
      (t) => z.object({ fingerprints: z.array(z.string().check(z.regex(FINGERPRINT_PATTERN))) }).safeParse(JSON.parse(t)),
      () => null,
    );
    return saved?.success === true ? saved.data.fingerprints : [];
  }

  /** Validates the whole set first (a bad key changes nothing), trusts it, then drops the keys it replaces. */
  async replace(keys: readonly BinpkgKey[]): Promise<{ added: string[]; removed: string[] }> {
    const parsed = KeySetSchema.safeParse(keys, ZOD_ENGLISH);
    if (!parsed.success) throw new BinpkgTrustError(`invalid binpkg key set: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    const before = await this.trusted();
    const now = parsed.data.map((k) => k.fingerprint);
    for (const k of parsed.data) await trustSigningKey(this.verifyHome, k);
    // Saved before anything is removed: a crash here leaves a key to remove next time, never an unknown one.
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify({ fingerprints: [...new Set([...now, ...before])] }));
    await rename(`${this.file}.tmp`, this.file);
    const removed = before.filter((f) => !now.includes(f));
    for (const f of removed) await distrustSigningKey(this.verifyHome, f);
    await writeFile(`${this.file}.tmp`, JSON.stringify({ fingerprints: now }));
    await rename(`${this.file}.tmp`, this.file);
    return { added: now.filter((f) => !before.includes(f)), removed };
  }
}
