// Real Portage's binhost client code (portage.util._urlopen, as bintree.py calls it) against the
// binhost: the If-Modified-Since it sends for its cached index, and what it makes of the answer.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { BinhostServer } from "@binfleet/coordinator/internal";
import { createLogger } from "@binfleet/daemon";
import { repoRoot } from "@binfleet/shared/testing";
import { execa } from "execa";

const portageDir = process.env["BINFLEET_PORTAGE"] ?? join(repoRoot, "..", "shared", "portage");
const tarball = existsSync(portageDir) ? (await readdir(portageDir)).find((f) => /^portage-.*\.tar\.gz$/.test(f)) : undefined;
const skip = tarball === undefined ? `real Portage not found: expected ../shared/portage beside the clone (or set BINFLEET_PORTAGE)` : false;

/**
 * One index fetch as bintree._populate_remote does it: If-Modified-Since from the cached copy's
 * TIMESTAMP through Portage's own urlopen, a 304 believed, a 200's index taken only when its
 * Last-Modified is later than the cached TIMESTAMP. Prints what Portage ends up using.
 */
const PLATFORMS = ["now", "past"];

const FETCH = `
import gzip, json, sys, urllib.error
from portage.util._urlopen import urlopen, http_to_timestamp
url, local = sys.argv[1], (sys.argv[2] or None)
try:
    f = urlopen(url, if_modified_since=local)
except urllib.error.HTTPError as err:
    if err.code != 304:
        raise
    print(json.dumps({"status": 304, "uses": "cached"}))
    sys.exit(0)
remote = http_to_timestamp(f.headers["Last-Modified"]) if f.headers.get("Last-Modified", "") else None
text = gzip.decompress(f.read()).decode() if url.endswith(".gz") else f.read().decode()
header = dict(l.split(": ", 1) for l in text.split("\\n\\n", 1)[0].splitlines())
remote = remote or header.get("TIMESTAMP")
taken = not local or int(local) < int(remote)
print(json.dumps({"status": 200, "uses": "remote" if taken else "cached", "timestamp": header["TIMESTAMP"]}))
`;

describe("real Portage as a client of the binhost's index", { skip }, () => {
  let tmp: string;
  let server: BinhostServer;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-portage-client-"));
    await execa("tar", ["xzf", join(portageDir, tarball!), "-C", tmp, "--wildcards", "*/lib/portage/*"]);
    // One binhost per case: each index's history is its own.
    for (const p of PLATFORMS) await mkdir(join(tmp, p));
    server = await BinhostServer.start({ host: "127.0.0.1", port: 0, platforms: PLATFORMS.map((name) => ({ name, pkgdir: join(tmp, name) })), log: createLogger({ name: "test", destination: new PassThrough() }) });
  });
  after(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  /** Writes Packages and Packages.gz as Portage's _pkgindex_write does: renamed into place, mtime = TIMESTAMP. */
  const writeIndex = async (platform: string, timestamp: number, cpv: string): Promise<void> => {
    const pkgdir = join(tmp, platform);
    const text = `ARCH: amd64\nPACKAGES: 1\nTIMESTAMP: ${timestamp}\nVERSION: 0\n\nCPV: ${cpv}\n\n`;
    for (const [name, data] of [["Packages", text], ["Packages.gz", gzipSync(text)]] as const) {
      await writeFile(join(pkgdir, `${name}.tmp`), data);
      await utimes(join(pkgdir, `${name}.tmp`), timestamp, timestamp);
      await rename(join(pkgdir, `${name}.tmp`), join(pkgdir, name));
    }
  };
  const portage = async (platform: string, name: string, local: number | null): Promise<{ status: number; uses: string; timestamp?: string }> => {
    const lib = (await readdir(tmp)).find((d) => existsSync(join(tmp, d, "lib/portage")))!;
    const r = await execa("python3", ["-c", FETCH, `${server.url}/binhost/${platform}/${name}`, local === null ? "" : String(local)], { env: { PYTHONPATH: join(tmp, lib, "lib") } });
    return JSON.parse(r.stdout) as { status: number; uses: string; timestamp?: string };
  };

  for (const [platform, when, age] of [
    ["now", "just now", 0],
    ["past", "ten minutes ago", 600],
  ] as const) {
    test(`an index rewritten 2 s after the node's copy (written ${when}) is the one the node uses`, async () => {
      const t = Math.floor(Date.now() / 1000) - age - 2;
      await writeIndex(platform, t, "app-misc/hello-1.0");
      for (const name of ["Packages.gz", "Packages"]) assert.deepEqual(await portage(platform, name, null), { status: 200, uses: "remote", timestamp: String(t) });
      await writeIndex(platform, t + 2, "app-misc/hello-1.1");
      for (const name of ["Packages.gz", "Packages"]) {
        const r = await portage(platform, name, t);
        assert.equal(r.uses, "remote", `${name}: ${JSON.stringify(r)}`);
        assert.equal(r.timestamp, String(t + 2));
      }
      // Within 5 s of writing, Portage's If-Modified-Since is in the future: sent again, which is harmless.
      if (age > 0) for (const name of ["Packages.gz", "Packages"]) assert.deepEqual(await portage(platform, name, t + 2), { status: 304, uses: "cached" }, `${name}: the node holding it`);
    });
  }
});
