import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SimError } from "./errors.js";
import { httpDownload, httpGet, maskPassword } from "./http-get.js";
import type { Output } from "./output.js";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild } from "./repository.js";
import { FETCH_HEADERS, humanRate, wgetDate } from "./wget-output.js";

/** A source file of one ebuild: its name in DISTDIR, its size from the Manifest, where upstream has it. */
export interface Distfile {
  readonly name: string;
  readonly size: number;
  readonly uris: readonly string[];
}


/**
 * Hosts the simulator stands in for instead of contacting them: Gentoo's public mirrors and the
 * generated trees' upstream sites. A download from one of them is a sparse file of the Manifest's
 * size; every other host (a binhost serving its DISTDIR) is fetched over real HTTP.
 */
const SIMULATED_HOST = /(^|\.)(gentoo\.org|invalid)$/;

/** Portage refreshes a mirror's layout.conf at most daily (fetch.py get_mirror_url). */
const LAYOUT_MAX_AGE_SECONDS = 86_400;

/**
 * The files SRC_URI names for the enabled USE flags, sized from the Manifest: `flag? ( … )` and
 * `!flag? ( … )` groups are evaluated, `uri -> name` renames, `mirror://` and `fetch+` prefixes kept
 * as the URI. Files the Manifest does not list are left out (Portage would refuse them anyway).
 */
export function ebuildDistfiles(e: Ebuild, use: ReadonlySet<string>, manifest: ReadonlyMap<string, number>): Distfile[] {
  const tokens = (e.cache["SRC_URI"] ?? "").split(/\s+/).filter((t) => t !== "");
  const byName = new Map<string, string[]>();
  const skipStack: boolean[] = [];
  let pendingCondition: boolean | null = null;
  const skipping = (): boolean => skipStack.some((s) => s);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.endsWith("?")) {
      const neg = t.startsWith("!");
      const flag = t.slice(neg ? 1 : 0, -1);
      pendingCondition = use.has(flag) !== neg;
      continue;
    }
    if (t === "(") {
      skipStack.push(pendingCondition === false);
      pendingCondition = null;
      continue;
    }
    if (t === ")") {
      skipStack.pop();
      continue;
    }
    let name = t.slice(t.lastIndexOf("/") + 1);
    if (tokens[i + 1] === "->" && tokens[i + 2] !== undefined) {
      name = tokens[i + 2]!;
      i += 2;
    }
    if (skipping()) continue;
    const uris = byName.get(name) ?? [];
    if (t.includes("://")) uris.push(t.replace(/^(fetch|mirror)\+/, ""));
    byName.set(name, uris);
  }
  const out: Distfile[] = [];
  for (const [name, uris] of byName) {
    const size = manifest.get(name);
    if (size !== undefined) out.push({ name, size, uris });
  }
  return out;
}

type Layout = readonly string[];

const HASHES: Record<string, string> = { BLAKE2B: "blake2b512", SHA512: "sha512", SHA256: "sha256", SHA1: "sha1", MD5: "md5" };

function supported(l: Layout): boolean {
  if (l[0] === "flat") return l.length === 1;
  if (l[0] === "filename-hash") return l.length === 3 && HASHES[l[1]!] !== undefined && l[2]!.split(":").every((c) => /^\d+$/.test(c) && Number(c) % 4 === 0);
  return false;
}

/** The path of a file under `<mirror>/distfiles/` for the first layout Portage supports (flat when none). */
export function mirrorPath(structure: readonly Layout[], name: string): string {
  const l = structure.find(supported) ?? ["flat"];
  if (l[0] === "flat") return name;
  let hash = createHash(HASHES[l[1]!]!).update(name).digest("hex");
  let path = "";
  for (const bits of l[2]!.split(":").map(Number)) {
    path += `${hash.slice(0, bits / 4)}/`;
    hash = hash.slice(bits / 4);
  }
  return path + name;
}

/** `[structure]` of a mirror's layout.conf: `0=filename-hash BLAKE2B 8`, `1=flat`, … in key order. */
export function parseLayoutConf(text: string): Layout[] {
  const out: Layout[] = [];
  let section = "";
  const entries = new Map<number, Layout>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s !== null) {
      section = s[1]!;
      continue;
    }
    const kv = /^(\d+)\s*[=:]\s*(.*)$/.exec(line);
    if (section === "structure" && kv !== null) entries.set(Number(kv[1]), kv[2]!.split(/\s+/).filter((w) => w !== ""));
  }
  // Portage reads 0, 1, 2, … and stops at the first missing key.
  for (let i = 0; entries.has(i); i++) out.push(entries.get(i)!);
  return out;
}

/**
 * Fetches an ebuild's distfiles into DISTDIR as Portage's fetch() does: files already there with
 * the Manifest's size are kept; otherwise each GENTOO_MIRRORS entry is tried first (its
 * `distfiles/layout.conf` read and cached for a day in DISTDIR/.mirror-cache.json), then SRC_URI.
 * Downloads go to `<file>.__download__` and are renamed once their size is right.
 */
export class DistfileFetcher {
  constructor(
    private readonly config: PortageConfig,
    private readonly out: Output,
  ) {}

  private get distdir(): string {
    return this.config.distdir;
  }

  private mirrors(): string[] {
    return (this.config.vars["GENTOO_MIRRORS"] ?? "").split(/\s+/).filter((m) => /^(https?|ftp):\/\//.test(m)).map((m) => m.replace(/\/+$/, ""));
  }

  async fetch(files: readonly Distfile[]): Promise<void> {
    for (const f of files) {
      const dest = join(this.distdir, f.name);
      const have = await stat(dest).then((s) => s.size, () => -1);
      if (have !== f.size) await this.download(f, dest);
      this.out.out(` * ${f.name} BLAKE2B SHA512 size ;-) ...${" ".repeat(Math.max(1, 58 - f.name.length))}[ ok ]\n`);
    }
  }

  private async download(f: Distfile, dest: string): Promise<void> {
    await mkdir(this.distdir, { recursive: true });
    const candidates: string[] = [];
    for (const m of this.mirrors()) candidates.push(`${m}/distfiles/${encodeURI(mirrorPath(await this.layout(m), f.name))}`);
    candidates.push(...f.uris);
    for (const url of candidates) {
      this.out.out(`>>> Downloading '${maskPassword(url)}'\n`);
      if (await this.tryOne(url, f, dest)) return;
    }
    throw new SimError(`!!! Couldn't download '${f.name}'. Aborting.`);
  }

  private async tryOne(url: string, f: Distfile, dest: string): Promise<boolean> {
    const partial = `${dest}.__download__`;
    const shown = `${partial.slice(this.config.root.dir.length)}`;
    const u = new URL(url);
    const started = Date.now();
    this.out.out(`--${wgetDate(new Date())}--  ${maskPassword(url)}\nConnecting to ${u.host}... connected.\nHTTP request sent, awaiting response... `);
    let bytes: number;
    let type = "application/x-xz";
    if (SIMULATED_HOST.test(u.hostname)) {
      // Simulated upstream, sparse: a fleet's worth of tarballs costs no disk and no network.
      await writeFile(partial, "");
      await truncate(partial, f.size);
      bytes = f.size;
      this.out.out("200 OK\n");
    } else {
      let r;
      try {
        r = await httpDownload(url, FETCH_HEADERS, partial);
      } catch (err) {
        this.out.out(`failed: ${(err as Error).message}.\n`);
        await rm(partial, { force: true });
        return false;
      }
      this.out.out(`${r.status} ${r.statusText}\n`);
      if (r.status !== 200) {
        this.out.out(`${wgetDate(new Date())} ERROR ${r.status}: ${r.statusText}.\n\n`);
        return false;
      }
      bytes = r.bytes;
      type = r.contentType;
    }
    const secs = (Date.now() - started) / 1000;
    this.out.out(
      `Length: ${bytes} (${Math.max(1, Math.round(bytes / 1024))}K) [${type}]\nSaving to: ‘${shown}’\n\n` +
        `${wgetDate(new Date())} (${humanRate(bytes, secs)}) - ‘${shown}’ saved [${bytes}/${bytes}]\n\n`,
    );
    if (bytes !== f.size) {
      const renamed = `${partial}._checksum_failure_.${Math.random().toString(36).slice(2, 10)}`;
      await rename(partial, renamed);
      this.out.out(`!!! Fetched file: ${f.name} VERIFY FAILED!\n!!! Reason: Filesize does not match recorded size\n!!! Got: ${bytes}\n!!! Expected: ${f.size}\nRefetching... File renamed to '${renamed.slice(this.config.root.dir.length)}'\n\n`);
      return false;
    }
    await rename(partial, dest);
    return true;
  }

  /** A mirror's layout, from the day-old cache or its `distfiles/layout.conf`; flat when it has none. */
  private async layout(mirror: string): Promise<Layout[]> {
    const cacheFile = join(this.distdir, ".mirror-cache.json");
    const cache = await readFile(cacheFile, "utf8").then(
      (t) => JSON.parse(t) as Record<string, [number, Layout[]]>,
      () => ({}) as Record<string, [number, Layout[]]>,
    );
    const hit = cache[mirror];
    if (Array.isArray(hit) && typeof hit[0] === "number" && hit[0] >= Date.now() / 1000 - LAYOUT_MAX_AGE_SECONDS && Array.isArray(hit[1])) return hit[1];
    if (SIMULATED_HOST.test(new URL(mirror).hostname)) return [["filename-hash", "BLAKE2B", "8"], ["flat"]];
    let structure: Layout[];
    try {
      const r = await httpGet(`${mirror}/distfiles/layout.conf`, FETCH_HEADERS, 10_000);
      if (r.status !== 200) return [];
      structure = parseLayoutConf(r.body.toString("utf8"));
    } catch {
      // Portage falls back to the flat layout without caching the failure.
      return [];
    }
    cache[mirror] = [Date.now() / 1000, structure];
    await writeFile(`${cacheFile}.tmp`, JSON.stringify(cache));
    await rename(`${cacheFile}.tmp`, cacheFile);
    return structure;
  }
}
