import { timingSafeEqual } from "node:crypto";
import { type Stats, createReadStream } from "node:fs";
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join, sep } from "node:path";
import type { Logger } from "@binfleet/shared";

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
  readonly metrics?: () => string;
  /** Whether the service is healthy, for /healthz (200 "ok" or 503). */
  readonly healthy?: () => boolean;
  /** PEM files: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * The builders' DISTDIRs, served flat under /distfiles/ as a GENTOO_MIRRORS entry: nodes that
   * still compile something download its sources from the LAN. A name is looked up in order.
   */
  readonly distdirs?: readonly string[];
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
  ) {}

  static async start(o: BinhostServerOptions): Promise<BinhostServer> {
    const byName = new Map(o.platforms.map((p) => [p.name, p]));
    const distdirs = [...(o.distdirs ?? [])];
    const listener: RequestListener = (req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/healthz") {
        const ok = o.healthy?.() ?? true;
        res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(ok ? "ok\n" : "unhealthy\n");
        return;
      }
      if (path === "/metrics" && o.metrics !== undefined) {
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(o.metrics());
        return;
      }
      handle(req, res, byName, distdirs).catch((err: unknown) => {
        o.log.error({ err, url: req.url }, "binhost request failed");
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    };
    const server = o.tls === undefined ? createServer(listener) : createTlsServer({ cert: await readFile(o.tls.cert), key: await readFile(o.tls.key) }, listener);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return new BinhostServer(server, `${o.tls === undefined ? "http" : "https"}://${o.host}:${addr.port}`, byName, distdirs);
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

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers).end();
}

async function handle(req: IncomingMessage, res: ServerResponse, platforms: ReadonlyMap<string, BinhostPlatform>, distdirs: readonly string[]): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { Allow: "GET, HEAD" });
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://binhost").pathname);
  } catch {
    return send(res, 400);
  }
  if (distdirs.length > 0 && path.startsWith("/distfiles/")) return serveDistfile(req, res, path.slice("/distfiles/".length), distdirs);
  const m = /^\/binhost\/([^/]+)\/(.*)$/.exec(path);
  const platform = m === null ? undefined : platforms.get(m[1]!);
  if (platform === undefined) return send(res, 404);
  if (platform.auth !== undefined) {
    const expected = Buffer.from(`Basic ${Buffer.from(`${platform.auth.user}:${platform.auth.pass}`).toString("base64")}`);
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { "WWW-Authenticate": `Basic realm="binhost ${platform.name}"` });
  }
  const rel = m![2]!;
  if (rel.split("/").some((seg) => seg === ".." || seg === ".") || rel.includes("\0")) return send(res, 403);
  const last = rel.split("/").pop()!;
  if (last !== "" && !servable(last)) return send(res, 404);
  const file = await resolveInside(platform.pkgdir, rel);
  if (file === "outside") return send(res, 403);
  if (file === null) return send(res, 404);
  const st = await stat(file.path);
  if (st.isDirectory()) return sendIndex(req, res, path, file.path, file.root);
  if (!st.isFile()) return send(res, 404);
  return sendFile(req, res, file.path, st);
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
async function serveDistfile(req: IncomingMessage, res: ServerResponse, name: string, distdirs: readonly string[]): Promise<void> {
  if (name === "layout.conf") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": String(DISTFILES_LAYOUT_CONF.length) });
    res.end(req.method === "HEAD" ? undefined : DISTFILES_LAYOUT_CONF);
    return;
  }
  if (name.includes("/") || name.includes("\0") || !servable(name)) return send(res, 404);
  for (const dir of distdirs) {
    const file = await resolveInside(dir, name);
    if (file === "outside") return send(res, 403);
    if (file === null) continue;
    const st = await stat(file.path);
    if (st.isFile()) return sendFile(req, res, file.path, st);
  }
  return send(res, 404);
}

/** A file with Last-Modified / If-Modified-Since and single Range requests (wget resumes). */
function sendFile(req: IncomingMessage, res: ServerResponse, file: string, st: Stats): void {
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  const since = req.headers["if-modified-since"];
  // HTTP dates have whole seconds: compare the file's exact mtime, so an index rewritten in the same
  // second as a client's last fetch is sent again rather than answered 304 (a stale index would
  // make nodes compile what the binhost already has).
  if (since !== undefined && !Number.isNaN(Date.parse(since)) && st.mtimeMs < Date.parse(since)) {
    return send(res, 304, { "Last-Modified": lastModified.toUTCString() });
  }
  const type = CONTENT_TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
  const headers: Record<string, string> = { "Content-Type": type, "Last-Modified": lastModified.toUTCString(), "Accept-Ranges": "bytes" };
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
  res.writeHead(status, headers);
  if (req.method === "HEAD" || st.size === 0) {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
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
    const isDir = (await stat(target)).isDirectory();
    const name = `${e.name}${isDir ? "/" : ""}`;
    entries.push(`<a href="${escapeHtml(encodeURIComponent(e.name))}${isDir ? "/" : ""}">${escapeHtml(name)}</a>`);
  }
  const body = `<!DOCTYPE html>\n<html><head><title>Index of ${escapeHtml(urlPath)}</title></head><body>\n<h1>Index of ${escapeHtml(urlPath)}</h1><pre>\n${urlPath.split("/").length > 4 ? '<a href="../">../</a>\n' : ""}${entries.join("\n")}\n</pre></body></html>\n`;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)) });
  res.end(req.method === "HEAD" ? undefined : body);
}
