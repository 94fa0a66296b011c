import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ApiToken } from "@binfleet/api";

export const adminTokenFile = (stateDir: string): string => join(stateDir, "admin.token");

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

/** The ops API's tokens: those configured, or else the admin token of stateDir. */
export async function apiTokens(config: { readonly stateDir: string; readonly api: { readonly tokens: readonly ApiToken[] } }): Promise<ApiToken[]> {
  return config.api.tokens.length > 0 ? [...config.api.tokens] : [{ name: "admin", role: "admin", token: await ensureAdminToken(config.stateDir) }];
}
