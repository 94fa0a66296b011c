import { join } from "node:path";
import { FINGERPRINT_PATTERN, type SigningIdentity, distrustSigningKey, listSigningKeys, trustSigningKey } from "@binfleet/binpkg-keys";
import type { KV } from "@nats-io/kv";
import * as z from "zod";
import { type BucketFollower, followBucket } from "@binfleet/bus";


/** Where a builder root keeps its secret signing keys, and where its Portage verifies (what it builds, on injection). */
export const signingHome = (root: string): string => join(root, "etc/portage/gnupg-signing");
export const verifyHome = (root: string): string => join(root, "etc/portage/gnupg");
/** The user id of a platform's signing keys (rotated keys have the same one). */
export const signingUid = (platform: string): string => `binfleet builder ${platform} <binpkg@binfleet.invalid>`;

const PlatformKeysSchema = z.object({
  /** The key builders sign with. */
  current: z.string().regex(FINGERPRINT_PATTERN),
  /** Every key nodes are to trust: the current one, and during a rotation the one before it. */
  trusted: z.array(z.object({ fingerprint: z.string().regex(FINGERPRINT_PATTERN), publicKey: z.string().min(1) })).min(1),
});
export type PlatformKeys = z.infer<typeof PlatformKeysSchema>;

/**
 * Each platform's binpkg signing keys, in a KV bucket (by platform name) so builder processes on
 * other hosts sign with the key the coordinator chose and follow its rotations. The secret keys
 * never travel: they stay in each builder root's signing home.
 */
export class BinpkgKeyring {
  private readonly keys = new Map<string, PlatformKeys>();
  private stopFollowing: () => void = () => undefined;

  private constructor(private readonly kv: KV) {}

  /** The keys in the bucket, followed (with `follow`) through rotations. */
  static async open(kv: KV, follow: BucketFollower = followBucket): Promise<BinpkgKeyring> {
    const ring = new BinpkgKeyring(kv);
    ring.stopFollowing = await follow(kv, (e) => {
      if (e.operation !== "PUT") return;
      const parsed = PlatformKeysSchema.safeParse(e.json<unknown>());
      // A record that does not parse changes nothing: builders keep the key they had.
      if (parsed.success) ring.keys.set(e.key, parsed.data);
    });
    return ring;
  }

  get(platform: string): PlatformKeys | undefined {
    return this.keys.get(platform);
  }

  /** The fingerprint builders of a platform sign with. */
  current(platform: string): string | undefined {
    return this.keys.get(platform)?.current;
  }

  async put(platform: string, keys: PlatformKeys): Promise<void> {
    const checked = PlatformKeysSchema.parse(keys);
    await this.kv.put(platform, JSON.stringify(checked));
    this.keys.set(platform, checked);
  }

  stop(): void {
    this.stopFollowing();
  }
}

/**
 * Makes a builder root ready to sign with a platform's current key: its signing home must hold
 * the secret key (copied from the coordinator's builder root: keys never travel on the bus), and
 * its Portage must trust exactly the platform's keys, as it verifies each package it makes.
 * Returns why the root cannot sign, or null. Repeated calls with the same keys cost nothing.
 */
/** Why a builder root cannot sign with a platform's keys, or null once it can. */
export type SigningReadiness = (root: string, keys: PlatformKeys | undefined) => Promise<string | null>;

export function signingReadiness(): SigningReadiness {
  const prepared = new Map<string, string>();
  return async (root, keys) => {
    if (keys === undefined) return "the coordinator has not set up this platform's signing key yet";
    const state = JSON.stringify(keys);
    if (prepared.get(root) === state) return null;
    if (!(await listSigningKeys(signingHome(root))).includes(keys.current)) {
      return `signing key ${keys.current} is not in ${signingHome(root)}: copy it from the coordinator's builder root`;
    }
    const before = prepared.has(root) ? (JSON.parse(prepared.get(root)!) as PlatformKeys) : null;
    for (const k of keys.trusted) await trustSigningKey(verifyHome(root), k as SigningIdentity);
    for (const k of before?.trusted ?? []) if (!keys.trusted.some((t) => t.fingerprint === k.fingerprint)) await distrustSigningKey(verifyHome(root), k.fingerprint);
    prepared.set(root, state);
    return null;
  };
}
