import { createHash } from "node:crypto";
import { type Atom, atomMatches, parseAtom, parseCpv } from "@binfleet/shared";
import type { KV } from "@nats-io/kv";
import { type BucketFollower, followBucket } from "@binfleet/bus";


export interface Hold {
  readonly atom: string;
  /** Empty: every platform. */
  readonly platformKey: string;
  readonly reason: string;
  readonly by: string;
  readonly at: number;
}

export interface Approval {
  readonly variant: string;
  readonly by: string;
  readonly at: number;
}

/** KV keys must be subject tokens; variant keys and atoms are not. */
const digest = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 40);

/**
 * Approvals and holds made at run time (`binfleet approve`, `binfleet hold`),
 * kept in the `binfleet-policy` KV bucket and mirrored in memory. Holds from
 * the config file apply too; they cannot be lifted from the CLI.
 */
export class PolicyStore {
  private readonly approvals = new Map<string, Approval>();
  private readonly holds = new Map<string, Hold & { parsed: Atom }>();
  private readonly configHolds: readonly Atom[];

  private constructor(
    private readonly kv: KV,
    configHolds: readonly string[],
    private readonly requireApproval: (platformKey: string) => boolean,
    private readonly autoApprove: readonly Atom[],
  ) {
    this.configHolds = configHolds.map((a) => parseAtom(a));
  }

  /**
   * Loads approvals and holds and follows the bucket (with `follow`): approvals and holds made
   * through another process (the coordinator, for a builder process) apply here as they are made.
   */
  static async open(kv: KV, o: { configHolds: readonly string[]; requireApproval: (platformKey: string) => boolean; autoApprove: readonly string[] }, follow: BucketFollower = followBucket): Promise<PolicyStore> {
    const store = new PolicyStore(kv, o.configHolds, o.requireApproval, o.autoApprove.map((a) => parseAtom(a)));
    store.stopWatch = await follow(kv, (e) => {
      try {
        if (e.key.startsWith("approval.")) {
          if (e.operation === "PUT") {
            const a = e.json<Approval>();
            store.approvals.set(a.variant, a);
          }
        } else if (e.key.startsWith("hold.")) {
          if (e.operation === "PUT") {
            const h = e.json<Hold>();
            store.holds.set(e.key, { ...h, parsed: parseAtom(h.atom) });
          } else store.holds.delete(e.key);
        }
      } catch {
        // An unreadable entry changes nothing.
      }
    });
    return store;
  }

  private stopWatch: () => void = () => undefined;

  stop(): void {
    this.stopWatch();
  }

  /** Whether a variant needs `binfleet approve` before it is built. */
  needsApproval(platformKey: string, cpv: string, variant: string): boolean {
    if (!this.requireApproval(platformKey) || this.approvals.has(variant)) return false;
    const c = parseCpv(cpv);
    return !this.autoApprove.some((a) => atomMatches(a, { cpv: c }));
  }

  async approve(variants: readonly string[], by: string): Promise<void> {
    for (const variant of variants) {
      const a: Approval = { variant, by, at: Date.now() };
      await this.kv.put(`approval.${digest(variant)}`, JSON.stringify(a));
      this.approvals.set(variant, a);
    }
  }

  /** The hold that keeps a cpv from being built on a platform, if any. */
  holdFor(platformKey: string, cpv: string): { atom: string; reason: string } | null {
    const c = parseCpv(cpv);
    const fromConfig = this.configHolds.find((a) => atomMatches(a, { cpv: c }));
    if (fromConfig !== undefined) return { atom: fromConfig.raw, reason: "coordinator config policy.hold" };
    for (const h of this.holds.values()) {
      if ((h.platformKey === "" || h.platformKey === platformKey) && atomMatches(h.parsed, { cpv: c })) return { atom: h.atom, reason: h.reason };
    }
    return null;
  }

  /** Validates the atom (throws AtomError) and records the hold. */
  async hold(atom: string, platformKey: string, reason: string, by: string): Promise<void> {
    const parsed = parseAtom(atom);
    const h: Hold = { atom, platformKey, reason, by, at: Date.now() };
    const key = `hold.${digest(`${platformKey}|${atom}`)}`;
    await this.kv.put(key, JSON.stringify(h));
    this.holds.set(key, { ...h, parsed });
  }

  /** Returns whether such a hold existed. */
  async unhold(atom: string, platformKey: string): Promise<boolean> {
    const key = `hold.${digest(`${platformKey}|${atom}`)}`;
    if (!this.holds.has(key)) return false;
    await this.kv.delete(key);
    this.holds.delete(key);
    return true;
  }

  listHolds(): Hold[] {
    return [...this.holds.values()].map(({ parsed: _, ...h }) => h);
  }
}
