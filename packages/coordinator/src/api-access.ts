import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Metadata } from "@grpc/grpc-js";

export type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Who made an API call: the token's name and role. */
export interface Caller {
  readonly name: string;
  readonly role: Role;
}

export type ApiErrorKind = "unauthenticated" | "permission-denied" | "not-found" | "invalid-argument" | "failed-precondition";

/** An error the API reports to its caller as is (everything else becomes a generic INTERNAL). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const digest = (token: string): Buffer => createHash("sha256").update(token).digest();

/** Bearer tokens with roles. Tokens are compared as digests in constant time. */
export class ApiTokens {
  private readonly tokens: readonly { name: string; role: Role; digest: Buffer }[];

  constructor(tokens: readonly { name: string; token: string; role: Role }[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }));
  }

  /** The caller, if its `authorization: Bearer …` token holds at least `need`; throws ApiError otherwise. */
  authorize(metadata: Metadata, need: Role): Caller {
    const header = metadata.get("authorization")[0];
    const m = typeof header === "string" ? /^Bearer (\S+)$/.exec(header) : null;
    if (m === null) throw new ApiError("unauthenticated", "no bearer token: pass --token, BINFLEET_TOKEN or --token-file");
    const d = digest(m[1]!);
    const t = this.tokens.find((x) => timingSafeEqual(x.digest, d));
    if (t === undefined) throw new ApiError("unauthenticated", "unknown token");
    if (RANK[t.role] < RANK[need]) throw new ApiError("permission-denied", `token "${t.name}" has role ${t.role}; this needs ${need}`);
    return { name: t.name, role: t.role };
  }
}

/** The admin token a coordinator without configured tokens creates on first start (like k3s's node token). */
export async function ensureAdminToken(stateDir: string): Promise<string> {
  const file = adminTokenFile(stateDir);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const token = randomBytes(24).toString("base64url");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

export const adminTokenFile = (stateDir: string): string => join(stateDir, "admin.token");
