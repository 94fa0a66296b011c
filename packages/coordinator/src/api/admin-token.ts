import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

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
