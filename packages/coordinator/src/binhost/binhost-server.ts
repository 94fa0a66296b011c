import { timingSafeEqual } from "node:crypto";
import { type Stats, constants } from "node:fs";
import { type FileHandle, open, readFile, readdir, realpath, stat } from "node:fs/promises";
import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { type Logger, clip } from "@binfleet/shared";
import { formatHttpDate, parseHttpDate } from "./http-date.js";
import { IndexVersions } from "./index-versions.js";
import { DEFAULT_CACHE_MIB, ServedFileCache } from "./served-file-cache.js";

export interface BinhostPlatform {
  /** URL path segment: /binhost/<name>/… */
  readonly name: string;
  /** The platform's $PKGDIR on disk. */
  readonly pkgdir: string;
  /** Basic auth for this platform, when set (the seed's https://user:pass@host subscribers). */
  readonly auth?: { readonly user: string; readonly pass: string };
}

export interface BinhostServerOptions {
  readonly host: string;
  readonly port: number;
  readonly platforms: readonly BinhostPlatform[];
  readonly log: Logger;
  /** Prometheus text for /metrics; /metrics is 404 without it. */
  readonly metrics?: () => Promise<string>;
  /** Called once for every request when its response is done (or cut): request counts, the access log. */
  readonly onResponse?: (r: BinhostResponse) => void;
  /** Whether the service is healthy, for /healthz (200 "ok" or 503). */
  readonly healthy?: () => boolean;
  /** PEM files: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * The builders' DISTDIRs, served flat under /distfiles/ as a GENTOO_MIRRORS entry: nodes that
   * still compile something download its sources from the LAN. A name is looked up in order.
   */
  readonly distdirs?: readonly string[];
  /** Memory for the content of recently served files (ServedFileCache); 0 streams every file from disk. */
  readonly cacheBytes?: number;
}

/** A request the binhost answered, as an access log records it. */
export interface BinhostResponse {
  readonly at: Date;
  readonly remote: string;
  /** The Basic auth user a platform accepted; null without one. */
  readonly user: string | null;
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly status: number;
  /** Body bytes sent; null when the response was cut. */
  readonly bytes: number | null;
}

/**
 * The user a platform's Basic auth check accepted, by request: the access log names who was let
 * in, not whatever a client's Authorization header says (sent to /healthz or to a platform
 * without auth, nobody checked it).
 */
const acceptedUser = new WeakMap<IncomingMessage, string>();

/**
 * Counts the body bytes a response writes (a header's Content-Length is not readable once passed
 * to writeHead, and a HEAD answer declares a length it does not send).
 */
function countBody(res: ServerResponse, head: boolean): () => number {
  let n = 0;
  const add = (chunk: unknown): void => {
    if (head) return;
    if (typeof chunk === "string") n += Buffer.byteLength(chunk);
    else if (chunk instanceof Uint8Array) n += chunk.byteLength;
  };
  const write = res.write as (...args: unknown[]) => boolean;
  const end = res.end as (...args: unknown[]) => ServerResponse;
  res.write = function (this: ServerResponse, ...args: unknown[]): boolean {
    add(args[0]);
    return write.apply(this, args);
  } as ServerResponse["write"];
  res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    add(args[0]);
    return end.apply(this, args);
  } as ServerResponse["end"];
  return () => n;
}

function observe(req: IncomingMessage, res: ServerResponse, onResponse: (r: BinhostResponse) => void, log: Logger): void {
  const at = new Date();
  const sent = countBody(res, req.method === "HEAD");
  res.once("close", () => {
    try {
      onResponse({
        at,
        remote: req.socket.remoteAddress ?? "-",
        user: acceptedUser.get(req) ?? null,
        method: req.method ?? "-",
        url: req.url ?? "",
        httpVersion: req.httpVersion,
        status: res.statusCode,
        bytes: res.writableFinished ? sent() : null,
      });
    } catch (err) {
      log.warn({ err: clip(String((err as Error)?.message ?? err)) }, "binhost response not recorded");
    }
  });
}

/**
 * Files being written are never served: Portage's and the builders' temp files (`*.tmp`,
 * `*.partial`), distfiles still downloading (`*.__download__`, kept `._checksum_failure_.` copies)
 * and dot files (locks, caches). A build that died mid-write (disk full) leaves nothing a client could fetch.
 */
function servable(name: string): boolean {
  return name !== "" && !name.startsWith(".") && !/\.(tmp|partial)$/.test(name) && !name.includes(".__download__");
}

/** A mirror's layout.conf (read by Portage's fetch before it asks for a file): one flat directory. */
export const DISTFILES_LAYOUT_CONF = "[structure]\n0=flat\n";

const CONTENT_TYPES: Record<string, string> = { ".tar": "application/x-tar", ".gz": "application/gzip", ".xpak": "application/octet-stream", ".tbz2": "application/x-bzip2" };

/**
 * Serves each platform's $PKGDIR as Portage fetches it: Packages / Packages.gz
 * with If-Modified-Since, package files with Range (wget resumes), Basic auth
 * that challenges before it accepts (Portage sends credentials only after a
 * 401), a directory index of $PKGDIR (as nginx's autoindex would show it), and nothing
 * outside $PKGDIR: `..`, encoded or not, and symlinks out are refused.
 */
export class BinhostServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly byName: Map<string, BinhostPlatform>,
    private readonly distdirs: string[],
    private readonly cache: ServedFileCache,
  ) {}

  static async start(o: BinhostServerOptions): Promise<BinhostServer> {
    const byName = new Map(o.platforms.map((p) => [p.name, p]));
    const distdirs = [...(o.distdirs ?? [])];
    const ctx: Context = { platforms: byName, distdirs, indexes: new IndexVersions(), cache: new ServedFileCache(o.cacheBytes ?? DEFAULT_CACHE_MIB * 1024 * 1024), log: o.log };
    // No request may take the process down: whatever fails ends that response (500, or the
    // connection cut when the headers are out already) and is logged.
    const failed = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
      o.log.error({ url: clip(req.url ?? ""), code: (err as NodeJS.ErrnoException)?.code, err: clip(String((err as Error)?.message ?? err)) }, "binhost request failed");
      try {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      } catch {
        res.destroy();
      }
    };
    const listener: RequestListener = (req, res) => {
      if (o.onResponse !== undefined) observe(req, res, o.onResponse, o.log);
      try {
        const path = (req.url ?? "").split("?")[0];
        if (path === "/healthz") {
          const ok = o.healthy?.() ?? true;
          res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(ok ? "ok\n" : "unhealthy\n");
          return;
        }
        if (path === "/metrics" && o.metrics !== undefined) {
          o.metrics().then(
            (text) => res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) }).end(text),
            (err: unknown) => failed(req, res, err),
          );
          return;
        }
        handle(req, res, ctx).catch((err: unknown) => failed(req, res, err));
      } catch (err) {
        failed(req, res, err);
      }
    };
    const server = o.tls === undefined ? createServer(listener) : createTlsServer({ cert: await readFile(o.tls.cert), key: await readFile(o.tls.key) }, listener);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return new BinhostServer(server, `${o.tls === undefined ? "http" : "https"}://${o.host}:${addr.port}`, byName, distdirs, ctx.cache);
  }

  /** Bytes of served files held in memory. */
  get cachedBytes(): number {
    return this.cache.size;
  }

  /** Serves one more platform (made while running), and its DISTDIR when distfiles are served. */
  addPlatform(p: BinhostPlatform, distdir: string | null): void {
    this.byName.set(p.name, p);
    if (distdir !== null) this.distdirs.push(distdir);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Context {
  readonly platforms: ReadonlyMap<string, BinhostPlatform>;
  readonly distdirs: readonly string[];
  readonly indexes: IndexVersions;
  readonly cache: ServedFileCache;
  readonly log: Logger;
}

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers).end();
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const { platforms, distdirs } = ctx;
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { Allow: "GET, HEAD" });
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://binhost").pathname);
  } catch {
    return send(res, 400);
  }
  if (distdirs.length > 0 && path.startsWith("/distfiles/")) return serveDistfile(req, res, path.slice("/distfiles/".length), ctx);
  const m = /^\/binhost\/([^/]+)\/(.*)$/.exec(path);
  const platform = m === null ? undefined : platforms.get(m[1]!);
  if (platform === undefined) return send(res, 404);
  if (platform.auth !== undefined) {
    const expected = Buffer.from(`Basic ${Buffer.from(`${platform.auth.user}:${platform.auth.pass}`).toString("base64")}`);
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { "WWW-Authenticate": `Basic realm="binhost ${platform.name}"` });
    acceptedUser.set(req, platform.auth.user);
  }
  const rel = m![2]!;
  if (rel.split("/").some((seg) => seg === ".." || seg === ".") || rel.includes("\0")) return send(res, 403);
  const last = rel.split("/").pop()!;
  if (last !== "" && !servable(last)) return send(res, 404);
  const file = await resolveInside(platform.pkgdir, rel);
  if (file === "outside") return send(res, 403);
  if (file === null) return send(res, 404);
  const opened = await openFile(file.path);
  if (opened === null) return send(res, 404);
  if (opened.st.isDirectory()) {
    await opened.handle.close();
    return sendIndex(req, res, path, file.path, file.root);
  }
  // The index Portage fetches: its Last-Modified follows what clients can hold (IndexVersions).
  return sendFile(req, res, opened, rel === "Packages" || rel === "Packages.gz" ? ctx.indexes : null, ctx);
}

interface OpenFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly st: Stats;
}

/**
 * The file at `path` opened for reading, with its fstat: everything after is about this one file,
 * whatever is renamed over or out of the path meanwhile (gc, re-signing and builds replace files in
 * $PKGDIR all the time). Null when it is gone or no regular file or directory; a symlink swapped in
 * since it was resolved is not followed.
 */
async function openFile(path: string): Promise<OpenFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (["ENOENT", "ENOTDIR", "ELOOP", "ENXIO"].includes((err as NodeJS.ErrnoException).code ?? "")) return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (st.isFile() || st.isDirectory()) return { path, handle, st };
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  return null;
}

/**
 * `rel` inside `dir`, symlinks resolved: null when it does not exist (before the first build there
 * is no PKGDIR at all), "outside" when a symlink leads out of `dir`.
 */
async function resolveInside(dir: string, rel: string): Promise<{ root: string; path: string } | "outside" | null> {
  let root: string;
  let path: string;
  try {
    root = await realpath(dir);
    path = await realpath(join(root, rel));
  } catch {
    return null;
  }
  return path === root || path.startsWith(root + sep) ? { root, path } : "outside";
}

/**
 * One distfile by its flat name. Dot files (Portage's .locks, .mirror-cache.json) and files still
 * being fetched (`*.__download__`, kept `._checksum_failure_.` copies) are never served: a node
 * must not get a half-downloaded tarball.
 */
async function serveDistfile(req: IncomingMessage, res: ServerResponse, name: string, ctx: Context): Promise<void> {
  if (name === "layout.conf") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(DISTFILES_LAYOUT_CONF.length) });
    res.end(req.method === "HEAD" ? undefined : DISTFILES_LAYOUT_CONF);
    return;
  }
  if (name.includes("/") || name.includes("\0") || !servable(name)) return send(res, 404);
  for (const dir of ctx.distdirs) {
    const file = await resolveInside(dir, name);
    if (file === "outside") return send(res, 403);
    if (file === null) continue;
    const opened = await openFile(file.path);
    if (opened?.st.isFile() === true) return sendFile(req, res, opened, null, ctx);
    await opened?.handle.close();
  }
  return send(res, 404);
}

/**
 * Whether If-Modified-Since lets a response be 304: the client's copy is as new as Last-Modified
 * (seconds). Only an HTTP date counts, and one later than now is no date: a client whose clock is
 * ahead would otherwise never see a new index.
 */
function notModified(since: string | undefined, lastModified: number): boolean {
  if (since === undefined) return false;
  const now = Date.now();
  const t = parseHttpDate(since, now);
  return t !== null && t <= now && t >= lastModified * 1000;
}

/**
 * An open file (owned from here: closed whatever happens) with Last-Modified / If-Modified-Since
 * and single Range requests (wget resumes). An index's Last-Modified comes from `indexes`; any
 * other file's is its mtime. The body comes from the cache of served files, or, for a file too
 * large for it, is streamed with `pipeline`: a client that hangs up or a read that fails ends this
 * response and closes the file.
 */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenFile, indexes: IndexVersions | null, { cache, log }: Context): Promise<void> {
  const { handle, st } = file;
  let body: NodeJS.ReadableStream | null = null;
  try {
    const lastModified = (await indexes?.lastModified(file.path, handle, st)) ?? Math.floor(st.mtimeMs / 1000);
    // Never later than the response itself (RFC 9110 §8.8.2.1); the 304 decision keeps the true value.
    const lastModifiedHeader = formatHttpDate(Math.min(lastModified * 1000, Date.now()));
    if (notModified(req.headers["if-modified-since"], lastModified)) return send(res, 304, { "Last-Modified": lastModifiedHeader });
    const type = CONTENT_TYPES[file.path.slice(file.path.lastIndexOf("."))] ?? "application/octet-stream";
    const headers: Record<string, string> = { "Content-Type": type, "Last-Modified": lastModifiedHeader, "Accept-Ranges": "bytes" };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    if (range !== null && (range[1] !== "" || range[2] !== "")) {
      start = range[1] === "" ? Math.max(0, st.size - Number(range[2])) : Number(range[1]);
      end = range[1] !== "" && range[2] !== "" ? Math.min(Number(range[2]), st.size - 1) : st.size - 1;
      if (start > end || start >= st.size) return send(res, 416, { "Content-Range": `bytes */${st.size}` });
      status = 206;
      headers["Content-Range"] = `bytes ${start}-${end}/${st.size}`;
    }
    headers["Content-Length"] = String(st.size === 0 ? 0 : end - start + 1);
    // Read before the head goes out: a file that fails to read is a 500, not a cut response.
    const cached = req.method === "HEAD" || st.size === 0 ? null : await cache.content(handle, st);
    if (cached !== null) res.once("close", cached.release);
    res.writeHead(status, headers);
    if (req.method === "HEAD" || st.size === 0) {
      res.end();
      return;
    }
    if (cached !== null) {
      res.end(cached.body.subarray(start, end + 1));
      return;
    }
    // The stream owns the file from here (autoClose): it closes it when it ends or is destroyed.
    body = handle.createReadStream({ start, end });
  } finally {
    if (body === null) await handle.close();
  }
  try {
    await pipeline(body, res);
  } catch (err) {
    // A client going away mid-download is no failure of ours; anything else cut the response short.
    if ((err as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") log.debug({ url: clip(req.url ?? "") }, "binhost client went away");
    else log.error({ url: clip(req.url ?? ""), code: (err as NodeJS.ErrnoException).code, err: clip(String((err as Error).message)) }, "binhost response cut short");
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A directory of $PKGDIR as a plain HTML list; entries that lead out of $PKGDIR are not shown. */
async function sendIndex(req: IncomingMessage, res: ServerResponse, urlPath: string, dir: string, root: string): Promise<void> {
  if (!urlPath.endsWith("/")) return send(res, 301, { Location: `${encodeURI(urlPath)}/` });
  const entries: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!servable(e.name)) continue;
    const target = await realpath(join(dir, e.name)).catch(() => null);
    if (target === null || (target !== root && !target.startsWith(root + sep))) continue;
    // An entry renamed away since readdir is left out, as one that was never there.
    const st = await stat(target).catch(() => null);
    if (st === null) continue;
    const isDir = st.isDirectory();
    const name = `${e.name}${isDir ? "/" : ""}`;
    entries.push(`<a href="${escapeHtml(encodeURIComponent(e.name))}${isDir ? "/" : ""}">${escapeHtml(name)}</a>`);
  }
  const body = `<!DOCTYPE html>\n<html><head><title>Index of ${escapeHtml(urlPath)}</title></head><body>\n<h1>Index of ${escapeHtml(urlPath)}</h1><pre>\n${urlPath.split("/").length > 4 ? '<a href="../">../</a>\n' : ""}${entries.join("\n")}\n</pre></body></html>\n`;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)) });
  res.end(req.method === "HEAD" ? undefined : body);
}
