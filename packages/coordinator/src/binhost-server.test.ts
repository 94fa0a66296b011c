import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { get as httpsGet } from "node:https";
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/shared";
import { execa } from "execa";
import { BinhostServer } from "./binhost-server.js";

function get(base: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    // A raw path: URL parsing in fetch would normalise the traversal attempts away.
    const req = request({ host: u.hostname, port: u.port, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("BinhostServer", () => {
  let tmp: string;
  let server: BinhostServer;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-binhost-"));
    const pkgdir = join(tmp, "amd64/pkgdir");
    await mkdir(join(pkgdir, "app-misc/hello"), { recursive: true });
    await writeFile(join(pkgdir, "Packages"), "ARCH: amd64\nPACKAGES: 0\n\n");
    await writeFile(join(pkgdir, "app-misc/hello/hello-1.0-1.gpkg.tar"), Buffer.alloc(10240, 7));
    // A build that died mid-write (disk full) left its temp file.
    await writeFile(join(pkgdir, "app-misc/hello/hello-1.0-2.gpkg.tar.tmp"), Buffer.alloc(100, 7));
    await utimes(join(pkgdir, "Packages"), new Date("2026-11-20T00:00:00Z"), new Date("2026-11-20T00:00:00Z"));
    await writeFile(join(tmp, "secret"), "root's secret\n");
    await symlink(join(tmp, "secret"), join(pkgdir, "escape"));
    await mkdir(join(tmp, "x86/pkgdir"), { recursive: true });
    await writeFile(join(tmp, "x86/pkgdir/Packages"), "ARCH: x86\n\n");
    // Two builders' DISTDIRs: a file fetched, one still downloading, a checksum failure kept aside, Portage's cache, a symlink out.
    await mkdir(join(tmp, "distfiles-a"), { recursive: true });
    await mkdir(join(tmp, "distfiles-b"), { recursive: true });
    await writeFile(join(tmp, "distfiles-b/hello-2.12.tar.gz"), Buffer.alloc(3000, 1));
    await writeFile(join(tmp, "distfiles-a/big-1.tar.xz.__download__"), "half");
    await writeFile(join(tmp, "distfiles-a/bad-1.tar.xz.__download__._checksum_failure_.x1"), "bad");
    await writeFile(join(tmp, "distfiles-a/.mirror-cache.json"), "{}");
    await symlink(join(tmp, "secret"), join(tmp, "distfiles-a/escape.tar.gz"));
    server = await BinhostServer.start({
      host: "127.0.0.1",
      port: 0,
      platforms: [
        { name: "amd64", pkgdir },
        { name: "i686", pkgdir: join(tmp, "x86/pkgdir"), auth: { user: "binuser", pass: "binpass" } },
      ],
      log: createLogger({ name: "test", destination: new PassThrough() }),
      metrics: () => "binfleet_nodes 3\n",
      healthy: () => true,
      distdirs: [join(tmp, "distfiles-a"), join(tmp, "distfiles-b")],
    });
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test("serves Packages and package files, with If-Modified-Since and Range", async () => {
    const idx = await get(server.url, "/binhost/amd64/Packages");
    assert.equal(idx.status, 200);
    assert.equal(idx.body.toString(), "ARCH: amd64\nPACKAGES: 0\n\n");
    assert.equal((await get(server.url, "/binhost/amd64/Packages", { "If-Modified-Since": new Date("2026-11-21T00:00:00Z").toUTCString() })).status, 304);
    assert.equal((await get(server.url, "/binhost/amd64/Packages", { "If-Modified-Since": new Date("2026-11-19T00:00:00Z").toUTCString() })).status, 200);
    const part = await get(server.url, "/binhost/amd64/app-misc/hello/hello-1.0-1.gpkg.tar", { Range: "bytes=10000-" });
    assert.equal(part.status, 206);
    assert.equal(part.body.length, 240);
    assert.equal(part.headers["content-range"], "bytes 10000-10239/10240");
  });

  test("never serves a path outside $PKGDIR; its directory index lists only what is inside", async () => {
    for (const p of ["/binhost/amd64/../../secret", "/binhost/amd64/%2e%2e/%2e%2e/secret", "/binhost/amd64/app-misc/..%2f..%2f..%2fsecret", "/binhost/amd64/escape"]) {
      const r = await get(server.url, p);
      assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /secret/);
    }
    const index = await get(server.url, "/binhost/amd64/");
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /<a href="Packages">Packages<\/a>/);
    assert.match(index.body.toString(), /<a href="app-misc\/">app-misc\/<\/a>/);
    assert.doesNotMatch(index.body.toString(), /escape/, "a symlink out of $PKGDIR is not listed");
    assert.match((await get(server.url, "/binhost/amd64/app-misc/hello/")).body.toString(), /hello-1\.0-1\.gpkg\.tar/);
    assert.equal((await get(server.url, "/binhost/amd64/app-misc")).headers["location"], "/binhost/amd64/app-misc/");
    assert.equal((await get(server.url, "/binhost/nope/Packages")).status, 404);
  });

  test("serves HTTPS when given a certificate", async (t) => {
    const cert = join(tmp, "cert.pem");
    const key = join(tmp, "key.pem");
    const made = await execa("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { reject: false });
    if (made.exitCode !== 0) return t.skip("openssl is not installed");
    const tls = await BinhostServer.start({ host: "127.0.0.1", port: 0, platforms: [{ name: "amd64", pkgdir: join(tmp, "amd64/pkgdir") }], log: createLogger({ name: "test", destination: new PassThrough() }), tls: { cert, key } });
    try {
      assert.match(tls.url, /^https:\/\//);
      const body = await new Promise<string>((resolve, reject) => {
        httpsGet(`${tls.url}/binhost/amd64/Packages`, { ca: readFileSync(cert) }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(text));
        }).on("error", reject);
      });
      assert.equal(body, "ARCH: amd64\nPACKAGES: 0\n\n");
    } finally {
      await tls.close();
    }
  });

  test("serves the builders' distfiles as a flat Portage mirror, never a partial download or a path out", async () => {
    const layout = await get(server.url, "/distfiles/layout.conf");
    assert.equal(layout.status, 200);
    assert.equal(layout.body.toString(), "[structure]\n0=flat\n");
    const file = await get(server.url, "/distfiles/hello-2.12.tar.gz");
    assert.equal(file.status, 200);
    assert.equal(file.body.length, 3000);
    const part = await get(server.url, "/distfiles/hello-2.12.tar.gz", { Range: "bytes=2000-" });
    assert.equal(part.status, 206);
    assert.equal(part.body.length, 1000);
    for (const p of ["/distfiles/big-1.tar.xz.__download__", "/distfiles/bad-1.tar.xz.__download__._checksum_failure_.x1", "/distfiles/.mirror-cache.json", "/distfiles/", "/distfiles/missing.tar.gz"]) {
      assert.equal((await get(server.url, p)).status, 404, p);
    }
    assert.equal((await get(server.url, "/distfiles/escape.tar.gz")).status, 403);
    for (const p of ["/distfiles/../secret", "/distfiles/%2e%2e%2fsecret", "/distfiles/..%2f..%2fsecret"]) assert.notEqual((await get(server.url, p)).status, 200, p);
  });

  test("a file still being written is neither served nor listed", async () => {
    assert.equal((await get(server.url, "/binhost/amd64/app-misc/hello/hello-1.0-2.gpkg.tar.tmp")).status, 404);
    const listing = await get(server.url, "/binhost/amd64/app-misc/hello/");
    assert.equal(listing.status, 200);
    assert.match(listing.body.toString(), /hello-1\.0-1\.gpkg\.tar/);
    assert.doesNotMatch(listing.body.toString(), /\.tmp/);
  });

  test("/healthz and /metrics", async () => {
    assert.equal((await get(server.url, "/healthz")).body.toString(), "ok\n");
    const m = await get(server.url, "/metrics");
    assert.equal(m.status, 200);
    assert.match(String(m.headers["content-type"]), /^text\/plain/);
    assert.equal(m.body.toString(), "binfleet_nodes 3\n");
  });

  test("Basic auth challenges first and accepts the right credentials only", async () => {
    const first = await get(server.url, "/binhost/i686/Packages");
    assert.equal(first.status, 401);
    assert.match(String(first.headers["www-authenticate"]), /^Basic realm=/);
    const auth = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    assert.equal((await get(server.url, "/binhost/i686/Packages", auth("binuser", "wrong"))).status, 401);
    assert.equal((await get(server.url, "/binhost/i686/Packages", auth("binuser", "binpass"))).status, 200);
  });
});
