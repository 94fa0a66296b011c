import { createHash } from "node:crypto";
import { type Atom, atomMatches, parseAtom, parseCpv } from "@binfleet/shared";
import type { KV } from "@nats-io/kv";

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

  static async open(kv: KV, o: { configHolds: readonly string[]; requireApproval: (platformKey: string) => boolean; autoApprove: readonly string[] }): Promise<PolicyStore> {
    const store = new PolicyStore(kv, o.configHolds, o.requireApproval, o.autoApprove.map((a) => parseAtom(a)));
    for await (const key of await kv.keys()) {
      const e = await kv.get(key);
      if (e === null || e.operation !== "PUT") continue;
      if (key.startsWith("approval.")) {
        const a = e.json<Approval>();
        store.approvals.set(a.variant, a);
      } else if (key.startsWith("hold.")) {
        const h = e.json<Hold>();
        store.holds.set(key, { ...h, parsed: parseAtom(h.atom) });
      }
    }
    return store;
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
