import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { type PackagesIndex, type Stanza, field, formatPackagesIndex, parsePackagesIndex } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import type { PortageConfig } from "./portage-config.js";

/** Who holds a PKGDIR lock: a file in the lock directory, there from the moment the lock exists. */
const OWNER = "owner";

/**
 * Whether a lock's holder is known to be gone: a process of this host that no longer exists.
 * Portage's locks are fcntl locks, which the kernel drops with their process; a lock directory
 * outlives a builder killed while it held it, and waiting out a minute for it stalled every other
 * builder of the PKGDIR. A holder on another host is not judged here (nor one in another PID
 * namespace under the same host name: binhost and builders sharing a PKGDIR share a host).
 */
export async function heldByTheDead(lock: string): Promise<boolean> {
  const owner = await readFile(join(lock, OWNER), "utf8").catch(() => null);
  const m = owner === null ? null : /^(\S+) (\d+)$/.exec(owner);
  if (m === null || m[1] !== hostname()) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

/** A name beside the lock that is this call's alone. */
const besideLock = (lock: string, what: string): string => `${lock}.${what}.${process.pid}.${randomBytes(4).toString("hex")}`;

/** Whether a path exists and was last changed more than `ms` ago. */
async function olderThan(path: string, ms: number): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  return st !== null && Date.now() - st.mtimeMs > ms;
}

/**
 * Removes a lock directory by moving it aside first: its path is free at once. Removed in place,
 * it would be an empty directory for a moment, which another writer's rename replaces (taking
 * the lock) before the rmdir fails on it.
 */
async function dropLock(lock: string): Promise<void> {
  const gone = besideLock(lock, "gone");
  try {
    await rename(lock, gone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  await removeDir(gone);
}

/**
 * Breaks a stale lock: its holder is gone, or it cannot be asked (another host) and the lock is
 * over a minute old. Breakers take turns through a second directory and look again in their turn,
 * so a waiter that judged the lock stale cannot remove one another waiter has taken since. A
 * breaker killed in its turn leaves that directory: after 10 s it is removed.
 */
async function breakIfStale(lock: string): Promise<void> {
  const turn = `${lock}.break`;
  try {
    await mkdir(turn);
  } catch {
    if (await olderThan(turn, 10_000)) await removeDir(turn);
    return;
  }
  try {
    if ((await heldByTheDead(lock)) || (await olderThan(lock, 60_000))) await dropLock(lock);
  } finally {
    await removeDir(turn);
  }
}

/** Moves `mine` into place as the lock, unless the lock is held (a held lock is never empty, so the rename fails). */
async function renamedInto(mine: string, lock: string): Promise<boolean> {
  try {
    await rename(mine, lock);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw err;
  }
}

/** Serialises writers of one PKGDIR (two builders on one binhost): a lock directory, as Portage's lockfile does. */
export async function withPkgdirLock<T>(pkgdir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(pkgdir, { recursive: true });
  const lock = join(pkgdir, ".binfleet-sim.lock");
  // The lock as it will be, made once with its owner file, then renamed into place when free.
  const mine = besideLock(lock, "new");
  try {
    await mkdir(mine);
    await writeFile(join(mine, OWNER), `${hostname()} ${process.pid}`);
    for (let i = 0; !(await renamedInto(mine, lock)); i++) {
      await breakIfStale(lock);
      if (i > 6000) throw new SimError(`!!! could not lock ${pkgdir}`);
      await sleep(10);
    }
  } catch (err) {
    await removeDir(mine);
    throw err;
  }
  try {
    return await fn();
  } finally {
    await dropLock(lock);
  }
}

export async function readPkgdirIndex(pkgdir: string): Promise<PackagesIndex | null> {
  try {
    return parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function headerFor(config: PortageConfig, count: number): Stanza {
  const v = config.vars;
  const h: [string, string][] = [
    ["ACCEPT_KEYWORDS", v["ACCEPT_KEYWORDS"] ?? ""],
    ["ARCH", v["ARCH"] ?? ""],
    ["CBUILD", v["CBUILD"] ?? v["CHOST"] ?? ""],
    ["CHOST", v["CHOST"] ?? ""],
    ["FEATURES", [...config.features].sort().join(" ")],
    ["GENTOO_MIRRORS", v["GENTOO_MIRRORS"] ?? ""],
    ["PACKAGES", String(count)],
    ["PROFILE", config.profilePath.replace(/^.*\/profiles\//, "")],
    ["TIMESTAMP", String(Math.floor(Date.now() / 1000))],
    ["USE", [...config.use].sort().join(" ")],
    ["VERSION", "0"],
  ];
  return h.filter(([, val]) => val !== "").sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Rewrites `$PKGDIR/Packages` (and Packages.gz) atomically: write a temp file, then rename over. */
export async function writePkgdirIndex(config: PortageConfig, pkgdir: string, packages: readonly Stanza[]): Promise<void> {
  const sorted = [...packages].sort((a, b) => {
    const ca = field(a, "CPV") ?? "";
    const cb = field(b, "CPV") ?? "";
    return ca < cb ? -1 : ca > cb ? 1 : Number(field(a, "BUILD_ID") ?? 0) - Number(field(b, "BUILD_ID") ?? 0);
  });
  const text = formatPackagesIndex({ header: headerFor(config, sorted.length), packages: sorted, trailingBlankLine: true });
  const target = join(pkgdir, "Packages");
  await replaceFile(`${target}.gz`, gzipSync(text));
  await replaceFile(target, text);
}

/**
 * Writes a file as Portage's atomic_ofstream does: a temp file beside it, renamed over it when
 * complete; on failure (ENOSPC, EIO) the temp file is removed and the old file stays whole.
 */
async function replaceFile(target: string, data: string | Buffer): Promise<void> {
  const tmp = `${target}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (typeof e.errno !== "number") throw err;
    throw new SimError(`OSError: [Errno ${-e.errno}] ${ERRNO_TEXT[e.code ?? ""] ?? e.message}: '${target}'`);
  }
}

const ERRNO_TEXT: Record<string, string> = { ENOSPC: "No space left on device", EIO: "Input/output error", EDQUOT: "Disk quota exceeded", EACCES: "Permission denied", EROFS: "Read-only file system" };

/** The next BUILD_ID for a cpv in a multi-instance PKGDIR. */
export function nextBuildId(index: PackagesIndex | null, cpv: string): number {
  let max = 0;
  for (const s of index?.packages ?? []) if (field(s, "CPV") === cpv) max = Math.max(max, Number(field(s, "BUILD_ID") ?? 0));
  return max + 1;
}

export interface IndexFields {
  readonly cpv: string;
  readonly buildId: number | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly repo: string;
}

/** Writes a built package file into PKGDIR (temp + rename) and returns its index stanza. */
export async function storeBinpkg(pkgdir: string, relPath: string, data: Buffer, fields: IndexFields): Promise<Stanza> {
  const full = join(pkgdir, relPath);
  await mkdir(dirname(full), { recursive: true });
  await replaceFile(full, data);
  return indexEntry(relPath, data, fields, (await stat(full)).mtime);
}

/**
 * A package's `Packages` stanza, as bintree._pkgindex_entry makes it: metadata, checksums, and
 * the file's SIZE and MTIME (what `emaint binhost` compares to tell a stale entry).
 */
export function indexEntry(relPath: string, data: Buffer, fields: IndexFields, mtime: Date): Stanza {
  const m = fields.metadata;
  const val = (k: string): string => (m[k] ?? "").replace(/\n$/, "");
  const stanza: [string, string][] = [];
  if (fields.buildId !== null) stanza.push(["BUILD_ID", String(fields.buildId)]);
  stanza.push(
    ["BUILD_TIME", val("BUILD_TIME")],
    ["CPV", fields.cpv],
    ["DEFINED_PHASES", val("DEFINED_PHASES")],
    ["EAPI", val("EAPI")],
    ["IUSE", val("IUSE")],
    ["KEYWORDS", val("KEYWORDS")],
    ["LICENSE", val("LICENSE")],
    ["MD5", createHash("md5").update(data).digest("hex")],
    ["PATH", relPath],
  );
  if (val("RDEPEND") !== "") stanza.push(["RDEPEND", val("RDEPEND")]);
  stanza.push(["SHA1", createHash("sha1").update(data).digest("hex")], ["SIZE", String(data.length)]);
  if (val("SLOT") !== "0") stanza.push(["SLOT", val("SLOT")]);
  stanza.push(["USE", val("USE")], ["MTIME", String(Math.floor(mtime.getTime() / 1000))], ["REPO", fields.repo]);
  return stanza.filter(([k, v]) => v !== "" || k === "USE");
}
