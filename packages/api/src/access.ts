import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "./api-error.js";

export type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Who made an API call: the token's name and role. */
export interface Caller {
  readonly name: string;
  readonly role: Role;
}

export interface ApiToken {
  readonly name: string;
  readonly token: string;
  readonly role: Role;
}

const digest = (token: string): Buffer => createHash("sha256").update(token).digest();

/**
 * Bearer tokens with roles, for every way into the ops API (gRPC and the dashboard). Tokens are
 * compared as digests in constant time.
 */
export class ApiTokens {
  private tokens: readonly { name: string; role: Role; digest: Buffer }[] = [];

  constructor(tokens: readonly ApiToken[]) {
    this.replace(tokens);
  }

  /** Takes a new set of tokens (a configuration reload): calls from now on are checked against them only. */
  replace(tokens: readonly ApiToken[]): void {
    this.tokens = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }));
  }

  /** The caller whose token this is, if it holds at least `need`; throws ApiError otherwise. */
  check(token: string | undefined, need: Role): Caller {
    if (token === undefined || token === "") throw new ApiError("unauthenticated", "no bearer token: pass --token, BINFLEET_TOKEN or --token-file");
    const d = digest(token);
    const t = this.tokens.find((x) => timingSafeEqual(x.digest, d));
    if (t === undefined) throw new ApiError("unauthenticated", "unknown token");
    if (RANK[t.role] < RANK[need]) throw new ApiError("permission-denied", `token "${t.name}" has role ${t.role}; this needs ${need}`);
    return { name: t.name, role: t.role };
  }

  /** The caller of a gRPC call, from its `authorization: Bearer …` metadata. */
  authorize(metadata: { get(key: string): unknown[] }, need: Role): Caller {
    const header = metadata.get("authorization")[0];
    const m = typeof header === "string" ? /^Bearer (\S+)$/.exec(header) : null;
    return this.check(m?.[1], need);
  }
}
