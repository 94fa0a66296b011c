import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { AccessLog, AccessLogError, commonLogLine } from "./access-log.js";
import { type BinhostResponse, BinhostServer } from "./binhost-server.js";

const log = createLogger({ name: "test", destination: new PassThrough() });
/** host ident authuser [date] "request" status bytes */
const CLF = /^(\S+) - (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)$/;

const response = (over: Partial<BinhostResponse>): BinhostResponse => ({
  at: new Date("2026-12-04T09:05:03Z"),
  remote: "192.0.2.7",
  user: null,
  method: "GET",
  url: "/binhost/amd64/Packages",
  httpVersion: "1.1",
  status: 200,
  bytes: 1234,
  ...over,
});

describe("the binhost's access log", () => {
  test("common log format: date in UTC, quotes, backslashes and control bytes escaped so a line stays one line", () => {
    assert.equal(commonLogLine(response({})), '192.0.2.7 - - [04/Dec/2026:09:05:03 +0000] "GET /binhost/amd64/Packages HTTP/1.1" 200 1234\n');
    assert.equal(commonLogLine(response({ user: "bin user", status: 304, bytes: null })), '192.0.2.7 - bin\\x20user [04/Dec/2026:09:05:03 +0000] "GET /binhost/amd64/Packages HTTP/1.1" 304 -\n');
    const hostile = commonLogLine(response({ url: '/x"y\\z\n\u00e9 "injected', status: 404 }));
    assert.equal(hostile, '192.0.2.7 - - [04/Dec/2026:09:05:03 +0000] "GET /x\\"y\\\\z\\x0a\\xc3\\xa9 \\"injected HTTP/1.1" 404 1234\n');
    assert.match(hostile.trimEnd(), CLF);
  });

  describe("written by the binhost server", () => {
    let tmp: string;
    let server: BinhostServer;
    let accessLog: AccessLog;
    let answered = 0;
    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), "binfleet-access-"));
      const pkgdir = join(tmp, "pkgdir");
      await mkdir(join(pkgdir, "app-misc/hello"), { recursive: true });
      await writeFile(join(pkgdir, "Packages"), "ARCH: amd64\n\n");
      await writeFile(join(pkgdir, "app-misc/hello/hello-1.0-1.gpkg.tar"), Buffer.alloc(10240, 7));
      accessLog = await AccessLog.open(join(tmp, "access.log"), log);
      server = await BinhostServer.start({
        host: "127.0.0.1",
        port: 0,
        platforms: [
          { name: "amd64", pkgdir },
          { name: "secure", pkgdir, auth: { user: "binuser", pass: "binpass" } },
        ],
        log,
        onResponse: (r) => {
          answered++;
          accessLog.write(r);
        },
      });
    });
    after(async () => {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    });

    test("one line per request with its status and body size; the accepted Basic auth user; SIGHUP's reopen starts a new file", async () => {
      const auth = `Basic ${Buffer.from("binuser:binpass").toString("base64")}`;
      const requests: [string, RequestInit][] = [
        ["/binhost/amd64/Packages", {}],
        ["/binhost/amd64/app-misc/hello/hello-1.0-1.gpkg.tar", { headers: { Range: "bytes=0-99" } }],
        ["/binhost/amd64/nothing-here", {}],
        ["/binhost/secure/Packages", {}],
        ["/binhost/secure/Packages", { headers: { Authorization: auth } }],
        ["/binhost/amd64/Packages", { method: "DELETE" }],
      ];
      for (const [path, init] of requests) await (await fetch(`${server.url}${path}`, init)).arrayBuffer();
      // A response is recorded when it closes, which the client need not wait for.
      await until("every request recorded", async () => (answered >= requests.length ? true : null), 10_000, 10);
      // logrotate moves the file away, then has the coordinator reopen its path.
      await rename(join(tmp, "access.log"), join(tmp, "access.log.1"));
      await accessLog.reopen();
      await (await fetch(`${server.url}/binhost/amd64/Packages`, { method: "HEAD" })).arrayBuffer();
      await until("the HEAD request recorded", async () => (answered > requests.length ? true : null), 10_000, 10);
      await accessLog.close();

      const rotated = (await readFile(join(tmp, "access.log.1"), "utf8")).trimEnd().split("\n");
      const fields = rotated.map((l) => {
        const m = CLF.exec(l);
        assert.ok(m !== null, `not common log format: ${l}`);
        return [m[1], m[2], m[4], m[5], m[6]];
      });
      assert.deepEqual(fields, [
        ["127.0.0.1", "-", "GET /binhost/amd64/Packages HTTP/1.1", "200", "13"],
        ["127.0.0.1", "-", "GET /binhost/amd64/app-misc/hello/hello-1.0-1.gpkg.tar HTTP/1.1", "206", "100"],
        ["127.0.0.1", "-", "GET /binhost/amd64/nothing-here HTTP/1.1", "404", "-"],
        ["127.0.0.1", "-", "GET /binhost/secure/Packages HTTP/1.1", "401", "-"],
        ["127.0.0.1", "binuser", "GET /binhost/secure/Packages HTTP/1.1", "200", "13"],
        ["127.0.0.1", "-", "DELETE /binhost/amd64/Packages HTTP/1.1", "405", "-"],
      ]);
      const current = (await readFile(join(tmp, "access.log"), "utf8")).trimEnd().split("\n");
      assert.equal(current.length, 1);
      assert.match(current[0]!, /"HEAD \/binhost\/amd64\/Packages HTTP\/1\.1" 200 -$/);
    });
  });

  test('"-" writes to standard output, which reopen and close leave open', async () => {
    const stdout = new PassThrough();
    let text = "";
    stdout.on("data", (d: Buffer) => (text += d.toString()));
    const a = await AccessLog.open("-", log, stdout);
    a.write(response({}));
    await a.reopen();
    a.write(response({ status: 304, bytes: 0 }));
    await a.close();
    assert.equal(stdout.writableEnded, false);
    assert.deepEqual(text.trimEnd().split("\n").map((l) => CLF.exec(l)?.[5]), ["200", "304"]);
  });

  test("a file that cannot be opened is refused at start, naming it", async () => {
    await assert.rejects(AccessLog.open("/nonexistent-dir/access.log", log), (err: unknown) => {
      assert.ok(err instanceof AccessLogError);
      assert.equal(err.file, "/nonexistent-dir/access.log");
      assert.match(err.message, /ENOENT/);
      return true;
    });
  });
});
