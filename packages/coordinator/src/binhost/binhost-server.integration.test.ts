import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { request } from "node:http";
import { get as httpsGet } from "node:https";
import { mkdir, mkdtemp, rename, rm, symlink, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { execa } from "execa";
import { type BinhostResponse, BinhostServer } from "./binhost-server.js";

function get(base: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    // A raw path: URL parsing in fetch would normalise the traversal attempts away.
    const req = request({ host: u.hostname, port: u.port, path: rawPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    // A request the server never answers fails the test instead of hanging it.
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${rawPath} in 30 s`)));
    req.end();
  });
}

describe("BinhostServer", () => {
  let tmp: string;
  let server: BinhostServer;
  const responses: BinhostResponse[] = [];
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
      metrics: async () => "binfleet_nodes 3\n",
      healthy: () => true,
      distdirs: [join(tmp, "distfiles-a"), join(tmp, "distfiles-b")],
      onResponse: (r) => responses.push(r),
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

  test("a response names the user Basic auth accepted; credentials nobody checked name no one", async () => {
    const auth = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    // The query marks this test's requests: a response is recorded when it closes, maybe after another test's.
    const asked: [string, Record<string, string>, number, string | null][] = [
      ["/healthz?who", auth("mallory", "x"), 200, null],
      ["/binhost/amd64/Packages?who", auth("mallory", "x"), 200, null],
      ["/binhost/i686/Packages?who", auth("binuser", "wrong"), 401, null],
      ["/binhost/i686/Packages?who", auth("binuser", "binpass"), 200, "binuser"],
      ["/binhost/i686/nothing-here?who", auth("binuser", "binpass"), 404, "binuser"],
    ];
    for (const [path, headers] of asked) await get(server.url, path, headers);
    const mine = () => responses.filter((r) => r.url.endsWith("?who"));
    await until("every request recorded", async () => mine().length >= asked.length, 10_000, 10);
    assert.deepEqual(
      mine().map((r) => [r.url, r.status, r.user]),
      asked.map(([path, , status, user]) => [path, status, user]),
    );
  });
});

/** What Portage sends as If-Modified-Since for a cached index with this TIMESTAMP (portage/util/_urlopen.py timestamp_to_http). */
const portageIms = (timestamp: number): string => new Date((timestamp + 5) * 1000).toUTCString();
const quiet = () => createLogger({ name: "test", destination: new PassThrough() });

describe("BinhostServer: If-Modified-Since", () => {
  let tmp: string;
  let pkgdir: string;
  let server: BinhostServer;
  // An index as Portage writes it: TIMESTAMP the time of writing, the file's mtime set to it.
  const writeIndex = async (timestamp: number, body: string): Promise<void> => {
    const text = `ARCH: amd64\nPACKAGES: 1\nTIMESTAMP: ${timestamp}\nVERSION: 0\n\n${body}`;
    await writeFile(join(pkgdir, "Packages.tmp"), text);
    await writeFile(join(pkgdir, "Packages.gz.tmp"), gzipSync(text));
    for (const f of ["Packages", "Packages.gz"]) {
      await utimes(join(pkgdir, `${f}.tmp`), timestamp, timestamp);
      await rename(join(pkgdir, `${f}.tmp`), join(pkgdir, f));
    }
  };
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-binhost-ims-"));
    pkgdir = join(tmp, "pkgdir");
    await mkdir(join(pkgdir, "app-misc"), { recursive: true });
    await writeFile(join(pkgdir, "app-misc/a-1.gpkg.tar"), "a");
    await utimes(join(pkgdir, "app-misc/a-1.gpkg.tar"), new Date("2026-01-01T00:00:00Z"), new Date("2026-01-01T00:00:00Z"));
    server = await BinhostServer.start({ host: "127.0.0.1", port: 0, platforms: [{ name: "amd64", pkgdir }], log: quiet() });
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test("a date in the future, or no HTTP date at all, is as if none were sent", async () => {
    await writeIndex(Math.floor(Date.now() / 1000) - 1000, "CPV: app-misc/a-1\n\n");
    for (const since of ["2030", "Fri, 31 Dec 9999 23:59:59 GMT", new Date(Date.now() + 3_600_000).toUTCString(), "Sat, 01 Jan 2050", "2026-12-01T00:00:00Z"]) {
      for (const path of ["/binhost/amd64/Packages", "/binhost/amd64/app-misc/a-1.gpkg.tar"]) {
        assert.equal((await get(server.url, path, { "If-Modified-Since": since })).status, 200, `${path} since ${since}`);
      }
    }
  });

  test("a date equal to Last-Modified is not modified: 304", async () => {
    const first = await get(server.url, "/binhost/amd64/app-misc/a-1.gpkg.tar");
    assert.equal(first.headers["last-modified"], "Thu, 01 Jan 2026 00:00:00 GMT");
    assert.equal((await get(server.url, "/binhost/amd64/app-misc/a-1.gpkg.tar", { "If-Modified-Since": "Thu, 01 Jan 2026 00:00:00 GMT" })).status, 304);
    assert.equal((await get(server.url, "/binhost/amd64/app-misc/a-1.gpkg.tar", { "If-Modified-Since": "Wed, 31 Dec 2025 23:59:59 GMT" })).status, 200);
    const index = await get(server.url, "/binhost/amd64/Packages");
    assert.equal((await get(server.url, "/binhost/amd64/Packages", { "If-Modified-Since": String(index.headers["last-modified"]) })).status, 304, "a client sending back Last-Modified");
  });

  test("an index rewritten 2 s after the client's copy is sent to a client asking as Portage does (TIMESTAMP + 5 s)", async () => {
    const t = Math.floor(Date.now() / 1000) - 600;
    await writeIndex(t, "CPV: app-misc/a-1\n\n");
    for (const name of ["Packages", "Packages.gz"]) {
      const copy = await get(server.url, `/binhost/amd64/${name}`);
      assert.equal(copy.status, 200);
    }
    await writeIndex(t + 2, "CPV: app-misc/a-2\n\n");
    for (const name of ["Packages", "Packages.gz"]) {
      const r = await get(server.url, `/binhost/amd64/${name}`, { "If-Modified-Since": portageIms(t) });
      assert.equal(r.status, 200, name);
      const text = name.endsWith(".gz") ? (await import("node:zlib")).gunzipSync(r.body).toString() : r.body.toString();
      assert.match(text, /TIMESTAMP: \d+\n[^]*app-misc\/a-2/);
      // Portage takes a 200's index only when Last-Modified is later than its copy's TIMESTAMP.
      assert.ok(Date.parse(String(r.headers["last-modified"])) / 1000 > t, `${name}: Last-Modified ${r.headers["last-modified"]}`);
      assert.equal((await get(server.url, `/binhost/amd64/${name}`, { "If-Modified-Since": portageIms(t + 2) })).status, 304, `${name}: the client holding it now`);
    }
  });

  test("an index rewritten in the same second, TIMESTAMP unchanged, is never answered 304 to a client holding the one before", async () => {
    const t = Math.floor(Date.now() / 1000) - 300;
    await writeIndex(t, "CPV: app-misc/a-1\n\n");
    assert.equal((await get(server.url, "/binhost/amd64/Packages")).status, 200);
    await writeIndex(t, "CPV: app-misc/a-1\n\nCPV: app-misc/b-1\n\n");
    const r = await get(server.url, "/binhost/amd64/Packages", { "If-Modified-Since": portageIms(t) });
    assert.equal(r.status, 200);
    assert.match(r.body.toString(), /app-misc\/b-1/);
    assert.ok(Date.parse(String(r.headers["last-modified"])) / 1000 > t);
  });

  test("Last-Modified is never later than the response", async () => {
    const t = Math.floor(Date.now() / 1000);
    await writeIndex(t, "CPV: app-misc/a-3\n\n");
    const r = await get(server.url, "/binhost/amd64/Packages");
    assert.ok(Date.parse(String(r.headers["last-modified"])) <= Date.parse(String(r.headers["date"])));
  });
});

/** The paths this process has open (Linux): what a leaked descriptor shows up as. */
const openFiles = (): string[] =>
  readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });

describe("BinhostServer: files replaced while served, clients that hang up", () => {
  let tmp: string;
  let pkgdir: string;
  let server: BinhostServer;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-binhost-churn-"));
    pkgdir = join(tmp, "pkgdir");
    await mkdir(join(pkgdir, "app-misc"), { recursive: true });
    server = await BinhostServer.start({ host: "127.0.0.1", port: 0, platforms: [{ name: "amd64", pkgdir }], log: quiet(), distdirs: [join(tmp, "distfiles")] });
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test("a binpkg renamed in and out of $PKGDIR while clients fetch it: every request is answered, the server stays up", async () => {
    const file = join(pkgdir, "app-misc/hello-1.gpkg.tar");
    const aside = join(tmp, "hello-1.gpkg.tar");
    await writeFile(file, Buffer.alloc(256 * 1024, 7));
    let renaming = true;
    const statuses = new Map<number, number>();
    const client = async (i: number): Promise<void> => {
      while (renaming) {
        const headers: Record<string, string> = i % 3 === 1 ? { Range: "bytes=1000-" } : {};
        const r = await get(server.url, i % 4 === 3 ? "/binhost/amd64/app-misc/" : "/binhost/amd64/app-misc/hello-1.gpkg.tar", headers);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200 || r.status === 206) assert.equal(r.body.length, Number(r.headers["content-length"]), "a body served is whole");
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => client(i));
    for (let i = 0; i < 1500; i++) {
      await rename(file, aside);
      await rename(aside, file);
      // gc and re-signing replace files too: a new one renamed over the old.
      if (i % 10 === 0) {
        await writeFile(`${file}.tmp`, Buffer.alloc(256 * 1024, i % 256));
        await rename(`${file}.tmp`, file);
      }
    }
    renaming = false;
    await Promise.all(clients);
    for (const status of statuses.keys()) assert.ok([200, 206, 404, 500].includes(status), `status ${status}`);
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(206) ?? 0) > 0, "the file was served while it was there");
    assert.equal((await get(server.url, "/healthz")).status, 200);
  });

  test("200 downloads of a 64 MiB binpkg aborted after the first bytes leave no file open", async (t) => {
    if (!existsSync("/proc/self/fd")) return t.skip("no /proc/self/fd to count open files");
    const file = join(pkgdir, "app-misc/big-1.gpkg.tar");
    await writeFile(file, "");
    await truncate(file, 64 * 1024 * 1024);
    const before = openFiles().length;
    const abort = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const u = new URL(server.url);
        const req = request({ host: u.hostname, port: u.port, path: "/binhost/amd64/app-misc/big-1.gpkg.tar", agent: false }, (res) => {
          res.once("data", () => req.destroy());
          res.once("close", () => resolve());
        });
        req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(err)));
        req.end();
      });
    for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 20 }, abort));
    // Deleted, a file still open shows as "… (deleted)" until its descriptor is closed.
    await rm(file);
    for (let i = 0; i < 200 && openFiles().some((f) => f.startsWith(file)); i++) await sleep(25);
    assert.deepEqual(
      openFiles().filter((f) => f.startsWith(file)),
      [],
    );
    for (let i = 0; i < 200 && openFiles().length > before; i++) await sleep(25);
    assert.ok(openFiles().length <= before, `open files ${before} before, ${openFiles().length} after`);
    assert.equal((await get(server.url, "/healthz")).status, 200);
  });
});
