import type { KeyObject } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { publicKeyFromBase64 } from "@binfleet/shared";

const MAX_KEYS = 8;

export class TrustedKeysError extends Error {
  override readonly name = "TrustedKeysError";
}

/**
 * The coordinator keys this agent verifies commands with: enrollment's (the config), until the
 * coordinator replaces them with a trustKeys command signed by a key trusted now. The replacement
 * is kept in stateDir/trusted-keys.json with the enrollment keys it replaced: enrolling again
 * (other keys in the config) starts over from the config.
 */
export class TrustedKeys {
  private current: ReadonlyMap<string, KeyObject>;

  private constructor(
    private readonly file: string,
    private readonly configKeys: Readonly<Record<string, string>>,
    keys: Readonly<Record<string, string>>,
  ) {
    this.current = TrustedKeys.decode(keys);
  }

  static async load(stateDir: string, configKeys: Readonly<Record<string, string>>): Promise<TrustedKeys> {
    const file = join(stateDir, "trusted-keys.json");
    const saved = await readFile(file, "utf8").then(
      (t) => JSON.parse(t) as { enrolledWith?: Record<string, string>; keys?: Record<string, string> },
      () => null,
    );
    const sameEnrollment = saved?.enrolledWith !== undefined && JSON.stringify(sortedEntries(saved.enrolledWith)) === JSON.stringify(sortedEntries(configKeys));
    return new TrustedKeys(file, configKeys, sameEnrollment && saved?.keys !== undefined ? saved.keys : configKeys);
  }

  get keys(): ReadonlyMap<string, KeyObject> {
    return this.current;
  }

  /** Replaces the trusted set (validated whole first: a bad key changes nothing) and saves it. */
  async replace(keys: Readonly<Record<string, string>>): Promise<void> {
    const decoded = TrustedKeys.decode(keys);
    await mkdir(join(this.file, ".."), { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify({ enrolledWith: this.configKeys, keys }), { mode: 0o600 });
    await rename(`${this.file}.tmp`, this.file);
    this.current = decoded;
  }

  private static decode(keys: Readonly<Record<string, string>>): Map<string, KeyObject> {
    const entries = Object.entries(keys);
    if (entries.length === 0 || entries.length > MAX_KEYS) throw new TrustedKeysError(`a trusted key set needs 1 to ${MAX_KEYS} keys, got ${entries.length}`);
    return new Map(
      entries.map(([id, b64]) => {
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new TrustedKeysError(`invalid key id '${id.slice(0, 40)}'`);
        let key: KeyObject;
        try {
          key = publicKeyFromBase64(b64);
        } catch (err) {
          throw new TrustedKeysError(`key ${id} is not a public key`, { cause: err });
        }
        if (key.asymmetricKeyType !== "ed25519") throw new TrustedKeysError(`key ${id} is ${key.asymmetricKeyType ?? "unknown"}, not Ed25519`);
        return [id, key] as const;
      }),
    );
  }
}

const sortedEntries = (r: Readonly<Record<string, string>>): [string, string][] => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1));
