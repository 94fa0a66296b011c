import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { type PackagesIndex, field, formatPackagesIndex, parsePackagesIndex, toBinaryPackage, withField } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import { httpGet, maskPassword } from "./http-get.js";
import type { Binrepo, PortageConfig } from "./portage-config.js";
import type { BinaryCandidate } from "./resolver.js";
import type { Output } from "./output.js";
import type { Faults } from "./faults.js";
import { FETCH_HEADERS, humanRate, wgetDate } from "./wget-output.js";

const INDEX_HEADERS = { "User-Agent": "Gentoo Portage", "Accept-Encoding": "bzip2,gzip,deflate", Connection: "close" };

/** Portage keeps the remote index at /var/cache/edb/binhost/<host>/<path>/Packages (no port: binhosts on one host share it). */
function cachePath(config: PortageConfig, repo: Binrepo): string {
  const u = new URL(repo.uri);
  return config.root.path(join("/var/cache/edb/binhost", u.hostname, decodeURIComponent(u.pathname), "Packages"));
}

/** An index's TIMESTAMP in seconds, as Portage's int() takes it; null when absent or not a number. */
function timestampOf(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

function sortedHeader(index: PackagesIndex, key: string, value: string): PackagesIndex {
  const header = [...withField(index.header, key, value)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ...index, header };
}

/** TIMESTAMP_TOLERANCE of portage/util/_urlopen.py: added to the local copy's TIMESTAMP for If-Modified-Since. */
const TIMESTAMP_TOLERANCE = 5;

/**
 * Fetches one binhost's index as Portage does (Packages.gz, If-Modified-Since = the local copy's
 * TIMESTAMP + 5 s, Basic auth after a challenge) and returns its packages. As bintree.py, it
 * believes a 304, and takes a 200's index only when the remote timestamp (Last-Modified, else
 * the index's TIMESTAMP) is later than the local copy's. Messages go to stderr exactly as Portage words them.
 */
export async function fetchBinhostIndex(config: PortageConfig, repo: Binrepo, out: Output, pretend: boolean, faults: Faults): Promise<BinaryCandidate[]> {
  const cache = cachePath(config, repo);
  let cached: PackagesIndex | null = null;
  try {
    cached = parsePackagesIndex(await readFile(cache, "utf8"));
  } catch {
    cached = null;
  }
  const localTimestamp = cached === null ? null : timestampOf(field(cached.header, "TIMESTAMP"));
  const headers: Record<string, string> = { ...INDEX_HEADERS };
  if (localTimestamp !== null) headers["If-Modified-Since"] = new Date((localTimestamp + TIMESTAMP_TOLERANCE) * 1000).toUTCString();
  let index: PackagesIndex | null = null;
  let failure: string | null = null;
  try {
    await sleep(faults.slowBinhostMs);
    const res = await httpGet(`${repo.uri}/Packages.gz`, headers);
    if (res.status === 304 && cached !== null) {
      out.err(`[${repo.name}] Local copy of remote index is up-to-date and will be used.\n`);
      index = cached;
    } else if (res.status === 200) {
      const lastModified = res.headers["last-modified"] === undefined ? Number.NaN : Date.parse(String(res.headers["last-modified"]));
      if (!Number.isNaN(lastModified) && localTimestamp !== null && Math.floor(lastModified / 1000) < localTimestamp) {
        const host = new URL(repo.uri).hostname;
        out.err(`[${repo.name}] WARNING: Service ${host} did not respect If-Modified-Since. Consider asking the service operator to enable support for If-Modified-Since or using another service.\n`);
      }
      const body = res.body[0] === 0x1f && res.body[1] === 0x8b ? gunzipSync(res.body) : res.body;
      const parsed = parsePackagesIndex(body.toString("utf8"));
      const remoteTimestamp = Number.isNaN(lastModified) ? timestampOf(field(parsed.header, "TIMESTAMP")) : Math.floor(lastModified / 1000);
      if (localTimestamp !== null && (remoteTimestamp === null || remoteTimestamp <= localTimestamp)) {
        // bintree.py: an index no later than the local copy is not read; the local copy is used.
        index = cached;
      } else {
        index = sortedHeader(parsed, "DOWNLOAD_TIMESTAMP", String(Math.floor(Date.now() / 1000)));
        await mkdir(dirname(cache), { recursive: true });
        await writeFile(`${cache}.tmp`, formatPackagesIndex(index));
        await rename(`${cache}.tmp`, cache);
      }
    } else {
      failure = `HTTP Error ${res.status}: ${res.statusText}`;
    }
  } catch (err) {
    failure = `<urlopen error ${(err as Error).message}>`;
  }
  if (failure !== null) {
    out.err(`\n!!! [${repo.name}] Error fetching binhost package info from '${maskPassword(repo.uri)}'\n!!! [${repo.name}] ${failure}\n\n`);
    if (cached === null) return [];
    out.err(`[${repo.name}] Local copy of unavailable remote index will be used${pretend ? " due to --pretend" : ""}\n`);
    index = cached;
  }
  return candidates(index!, repo);
}

async function candidates(index: PackagesIndex, repo: Binrepo | null, localDir?: string): Promise<BinaryCandidate[]> {
  const out: BinaryCandidate[] = [];
  for (const stanza of index.packages) {
    const pkg = toBinaryPackage(stanza, index.header);
    let downloadBytes = pkg.size ?? 0;
    const dir = repo?.location ?? localDir;
    if (dir !== undefined && pkg.path !== null) {
      try {
        if ((await stat(join(dir, pkg.path))).size === pkg.size) downloadBytes = 0;
      } catch {
        // not downloaded yet
      }
    }
    out.push({ pkg, source: repo, downloadBytes: repo === null ? 0 : downloadBytes });
  }
  return out;
}

/** Binary packages in the local PKGDIR (--usepkg). */
export async function localBinaries(config: PortageConfig): Promise<BinaryCandidate[]> {
  let text: string;
  try {
    text = await readFile(join(config.pkgdir, "Packages"), "utf8");
  } catch {
    return [];
  }
  return candidates(parsePackagesIndex(text), null, config.pkgdir);
}

/**
 * Downloads a binary package into its binrepo location the way Portage's
 * FETCHCOMMAND (wget) does, printing wget's lines to stdout, then checks
 * size, MD5 and SHA1 against the index. Returns the local file path.
 */
export async function downloadBinary(config: PortageConfig, c: BinaryCandidate, out: Output, faults: Faults): Promise<string> {
  if (c.pkg.path === null) throw new SimError(`!!! ${c.pkg.cpv.cpv}: the Packages index gives no PATH`);
  // --usepkg: a binary in the local PKGDIR is used where it is.
  if (c.source === null) return join(config.pkgdir, c.pkg.path);
  const dest = join(c.source.location, c.pkg.path);
  const shown = dest.slice(config.root.dir.length) || "/";
  if (c.downloadBytes === 0) return dest;
  const url = `${c.source.uri}/${c.pkg.path}`;
  const started = new Date();
  const host = new URL(url).host;
  out.out(`--${wgetDate(started)}--  ${maskPassword(url)}\nConnecting to ${host}... connected.\n`);
  let res;
  try {
    await sleep(faults.slowBinhostMs);
    res = await httpGet(url, FETCH_HEADERS);
  } catch (err) {
    out.out(`failed: ${(err as Error).message}.\n`);
    throw new SimError(`!!! Couldn't download '${c.pkg.path}'. Aborting.`);
  }
  if (res.challenged) {
    out.out(`HTTP request sent, awaiting response... 401 Unauthorized\nAuthentication selected: Basic realm="binhost"\nConnecting to ${host}... connected.\n`);
  }
  out.out(`HTTP request sent, awaiting response... ${res.status} ${res.statusText}\n`);
  if (res.status !== 200) {
    out.out(`${wgetDate(new Date())} ERROR ${res.status}: ${res.statusText}.\n\n`);
    throw new SimError(`!!! Couldn't download '${c.pkg.path}'. Aborting.`);
  }
  let body = res.body;
  if (faults.corruptDownload && body.length > 0) {
    body = Buffer.from(body);
    const mid = Math.floor(body.length / 2);
    body[mid] = body[mid]! ^ 0xff;
  }
  const partial = `${dest}.partial`;
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(partial, body);
  const secs = (Date.now() - started.getTime()) / 1000;
  out.out(
    `Length: ${body.length} (${Math.max(1, Math.round(body.length / 1024))}K) [${res.headers["content-type"] ?? "application/octet-stream"}]\n` +
      `Saving to: ‘${shown}.partial’\n\n     0K ${".".repeat(Math.min(50, Math.ceil(body.length / 1024)))}  100% ${humanRate(body.length, secs)}\n\n` +
      `${wgetDate(new Date())} (${humanRate(body.length, secs)}) - ‘${shown}.partial’ saved [${body.length}/${body.length}]\n\n`,
  );
  const md5 = createHash("md5").update(body).digest("hex");
  const sha1 = createHash("sha1").update(body).digest("hex");
  const name = c.pkg.path.split("/").pop()!;
  if ((c.pkg.size !== null && body.length !== c.pkg.size) || (c.pkg.md5 !== null && md5 !== c.pkg.md5) || (c.pkg.sha1 !== null && sha1 !== c.pkg.sha1)) {
    const which = c.pkg.size !== null && body.length !== c.pkg.size ? "size" : c.pkg.sha1 !== null && sha1 !== c.pkg.sha1 ? "SHA1" : "MD5";
    const renamed = `${partial}._checksum_failure_.${Math.random().toString(36).slice(2, 10)}`;
    await rename(partial, renamed);
    out.out(
      `!!! Digest verification failed:\n!!! ${shown}\n!!! Reason: Failed on ${which} verification\n` +
        `!!! Got: ${which === "size" ? body.length : which === "SHA1" ? sha1 : md5}\n!!! Expected: ${which === "size" ? c.pkg.size : which === "SHA1" ? c.pkg.sha1 : c.pkg.md5}\n` +
        `File renamed to '${renamed.slice(config.root.dir.length)}'\n\n`,
    );
    throw new SimError(`digest verification failed for ${name}`);
  }
  out.out(` * ${name} MD5 SHA1 size ;-) ...${" ".repeat(Math.max(1, 58 - name.length))}[ ok ]\n`);
  await rename(partial, dest);
  return dest;
}
