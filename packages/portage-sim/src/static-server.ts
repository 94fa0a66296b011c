// Test support: a minimal static HTTP server for a PKGDIR, as `python3 -m http.server` serves one
// (the lab's binhosts): Last-Modified on 200, a bare 304 when If-Modified-Since is not older than
// the file (or one with Last-Modified, as binfleet's binhost answers), and optional Basic auth that
// challenges first (Portage sends credentials only after a 401).
import { readFile, stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface StaticServer {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function serveDirectory(dir: string, auth?: { user: string; pass: string }, options: { lastModifiedOn304?: boolean } = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const expected = auth === undefined ? null : `Basic ${Buffer.from(`${auth.user}:${auth.pass}`).toString("base64")}`;
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}${req.headers.authorization ? " (auth)" : ""}`);
    if (expected !== null && req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="binhost"' }).end();
      return;
    }
    const rel = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]!)).replace(/^(\.\.(\/|$))+/, "");
    const file = join(dir, rel);
    Promise.all([stat(file), readFile(file)]).then(
      ([st, data]) => {
        const mtime = Math.floor(st.mtimeMs / 1000) * 1000;
        const ims = Date.parse(req.headers["if-modified-since"] ?? "");
        if (!Number.isNaN(ims) && mtime <= ims) {
          res.writeHead(304, options.lastModifiedOn304 ? { "Last-Modified": new Date(mtime).toUTCString() } : {}).end();
          return;
        }
        res.writeHead(200, { "Content-Type": "application/x-tar", "Content-Length": data.length, "Last-Modified": new Date(mtime).toUTCString() }).end(data);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
