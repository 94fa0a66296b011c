import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Answers of deterministic work on bytes (zstd -d of a tarball, gpg's good verdict on a signature)
 * kept by the SHA-256 of their input, in a directory that simulated machines share
 * (BINFLEET_SIM_CACHE). Real nodes each pay gpg and zstd for a package on their own CPU; 24
 * simulated nodes on one computer would pay 24 times for the same file. A cache that cannot be
 * read or written is no cache: the work is done as without one.
 */
export class DigestCache {
  /** Per tool run: answers that hold while it runs (a key's validity in a home). */
  private readonly memo = new Map<string, Promise<string>>();

  constructor(readonly dir: string) {}

  /** The cache BINFLEET_SIM_CACHE names, or null (no caching: every call does the work). */
  static fromEnv(env: NodeJS.ProcessEnv): DigestCache | null {
    const dir = env["BINFLEET_SIM_CACHE"]?.trim() ?? "";
    return dir === "" ? null : new DigestCache(dir);
  }

  /** A key for `kind` of work on these inputs; lengths are hashed too, so inputs cannot run together. */
  static key(kind: string, ...inputs: readonly Buffer[]): string {
    const h = createHash("sha256").update(kind);
    for (const b of inputs) h.update(`\0${b.length}\0`).update(b);
    return h.digest("hex");
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), key.slice(2));
  }

  async get(key: string): Promise<Buffer | null> {
    return readFile(this.path(key)).catch(() => null);
  }

  /** Written aside and renamed: a reader sees the whole answer or none. */
  async put(key: string, data: Buffer): Promise<void> {
    const file = this.path(key);
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, file);
    } catch {
      // Not cached: the next caller does the work again.
    }
  }

  /** `compute`'s answer for `key`, computed once per cache object (one tool run). */
  remember(key: string, compute: () => Promise<string>): Promise<string> {
    let p = this.memo.get(key);
    if (p === undefined) this.memo.set(key, (p = compute()));
    return p;
  }
}
