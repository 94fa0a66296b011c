import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DistfileFetcher, ebuildDistfiles, mirrorPath, parseLayoutConf } from "./distfile-fetch.js";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild } from "./repository.js";
import { SimRoot } from "./sim-root.js";

const ebuild = (srcUri: string): Ebuild => ({ cpv: { cp: "app-misc/demo" }, cache: { SRC_URI: srcUri } }) as unknown as Ebuild;

describe("SRC_URI and mirror layouts", () => {
  test("USE groups are evaluated, renames followed, files missing from the Manifest left out", () => {
    const e = ebuild("https://up.invalid/demo-1.tar.gz doc? ( https://up.invalid/doc.tar.gz ) !ssl? ( https://up.invalid/nossl.patch ) https://up.invalid/v1.zip -> demo-extra-1.zip https://up.invalid/unlisted.tar");
    const manifest = new Map([["demo-1.tar.gz", 10], ["doc.tar.gz", 20], ["nossl.patch", 30], ["demo-extra-1.zip", 40]]);
    assert.deepEqual(ebuildDistfiles(e, new Set(["ssl"]), manifest).map((f) => f.name), ["demo-1.tar.gz", "demo-extra-1.zip"]);
    assert.deepEqual(ebuildDistfiles(e, new Set(["doc"]), manifest).map((f) => [f.name, f.size]), [["demo-1.tar.gz", 10], ["doc.tar.gz", 20], ["nossl.patch", 30], ["demo-extra-1.zip", 40]]);
    assert.deepEqual(ebuildDistfiles(e, new Set(), manifest).find((f) => f.name === "demo-extra-1.zip")?.uris, ["https://up.invalid/v1.zip"]);
  });

  test("layout.conf: the first supported structure wins, as on Gentoo's mirrors", () => {
    const structure = parseLayoutConf("[structure]\n0=filename-hash BLAKE2B 8\n1=flat\n");
    assert.deepEqual(structure, [["filename-hash", "BLAKE2B", "8"], ["flat"]]);
    // blake2b("hello-2.12.tar.gz") begins 56fd… (checked with Python's hashlib).
    assert.equal(mirrorPath(structure, "hello-2.12.tar.gz"), "56/hello-2.12.tar.gz");
    assert.equal(mirrorPath(parseLayoutConf("[structure]\n0=filename-hash BLAKE2B 8:8\n"), "hello-2.12.tar.gz"), "56/fd/hello-2.12.tar.gz");
    assert.equal(mirrorPath(parseLayoutConf("[structure]\n0=content-hash SHA512 8\n1=flat\n"), "a.tar"), "a.tar");
    assert.equal(mirrorPath([], "a.tar"), "a.tar");
    // Keys must be consecutive from 0: a gap ends the list, as in Portage.
    assert.deepEqual(parseLayoutConf("[structure]\n1=flat\n"), []);
  });
});

describe("DistfileFetcher against a real HTTP mirror", () => {
  let tmp: string;
  let server: Server;
  let mirror: string;
  const requests: string[] = [];
  const files = new Map<string, Buffer>([["/distfiles/layout.conf", Buffer.from("[structure]\n0=flat\n")], ["/distfiles/demo-1.tar.gz", Buffer.alloc(1000, 7)], ["/distfiles/short.tar.gz", Buffer.alloc(5)]]);

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-distfiles-"));
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      const body = files.get(req.url ?? "");
      if (body === undefined) res.writeHead(404, "Not Found").end();
      else res.writeHead(200, { "Content-Length": String(body.length) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(tmp, { recursive: true, force: true });
  });

  const fetcher = async (name: string, mirrors: string): Promise<{ f: DistfileFetcher; distdir: string; log: string[] }> => {
    const root = join(tmp, name);
    const distdir = join(root, "var/cache/distfiles");
    await mkdir(distdir, { recursive: true });
    const config = { root: new SimRoot(root), distdir, vars: { GENTOO_MIRRORS: mirrors } } as unknown as PortageConfig;
    const log: string[] = [];
    return { f: new DistfileFetcher(config, { out: (t) => void log.push(t), err: (t) => void log.push(t) }), distdir, log };
  };

  test("a file on the mirror comes from the mirror, byte for byte; the layout is cached for the next fetch", async () => {
    requests.length = 0;
    const { f, distdir, log } = await fetcher("a", `${mirror} http://distfiles.gentoo.org`);
    await f.fetch([{ name: "demo-1.tar.gz", size: 1000, uris: ["https://up.invalid/demo-1.tar.gz"] }]);
    assert.deepEqual(await readFile(join(distdir, "demo-1.tar.gz")), files.get("/distfiles/demo-1.tar.gz"));
    assert.deepEqual(requests, ["/distfiles/layout.conf", "/distfiles/demo-1.tar.gz"]);
    assert.match(log.join(""), new RegExp(`>>> Downloading '${mirror}/distfiles/demo-1.tar.gz'`));
    assert.match(log.join(""), / \* demo-1\.tar\.gz BLAKE2B SHA512 size ;-\) \.\.\. +\[ ok \]/);
    const cache = JSON.parse(await readFile(join(distdir, ".mirror-cache.json"), "utf8")) as Record<string, [number, string[][]]>;
    assert.deepEqual(cache[mirror]![1], [["flat"]]);
    // Present with the right size: nothing is fetched again.
    requests.length = 0;
    await f.fetch([{ name: "demo-1.tar.gz", size: 1000, uris: [] }]);
    assert.deepEqual(requests, []);
  });

  test("a file the mirror lacks, or has with the wrong size, comes from the next mirror or upstream", async () => {
    requests.length = 0;
    const { f, distdir, log } = await fetcher("b", mirror);
    await f.fetch([
      { name: "other-2.tar.gz", size: 300, uris: ["https://up.invalid/other-2.tar.gz"] },
      { name: "short.tar.gz", size: 900, uris: ["https://up.invalid/short.tar.gz"] },
    ]);
    assert.equal((await stat(join(distdir, "other-2.tar.gz"))).size, 300);
    assert.equal((await stat(join(distdir, "short.tar.gz"))).size, 900);
    const text = log.join("");
    assert.match(text, /ERROR 404: Not Found/);
    assert.match(text, /Reason: Filesize does not match recorded size\n!!! Got: 5\n!!! Expected: 900/);
    assert.match(text, />>> Downloading 'https:\/\/up\.invalid\/short\.tar\.gz'/);
    assert.ok((await readdir(distdir)).some((n) => n.startsWith("short.tar.gz.__download__._checksum_failure_.")), "the bad download is kept aside, as Portage does");
  });

  test("nowhere to download from: a clear failure naming the file", async () => {
    const { f } = await fetcher("c", mirror);
    await assert.rejects(f.fetch([{ name: "gone.tar.gz", size: 1, uris: [] }]), /Couldn't download 'gone\.tar\.gz'/);
  });

  test("an unreachable mirror is skipped", async () => {
    const { f, distdir } = await fetcher("d", "http://127.0.0.1:1");
    await f.fetch([{ name: "x.tar.gz", size: 10, uris: ["https://up.invalid/x.tar.gz"] }]);
    assert.equal((await stat(join(distdir, "x.tar.gz"))).size, 10);
  });
});
