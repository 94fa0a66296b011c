import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { fixture, noFixtures } from "@binfleet/shared/testing";
import { runTool } from "./cli.js";
import { type LabRoot, labNodeRoot } from "./lab-fixture.js";

const timing = /Dependency resolution took [\d.]+ s/g;
const normalize = (s: string): string => s.replace(timing, "Dependency resolution took X s");

async function emerge(root: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTool("emerge", argv, { BINFLEET_SIM_ROOT: root, ...env }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe("portage-sim prints what real Portage printed for the lab node", { skip: noFixtures }, () => {
  let lab: LabRoot;
  let server: Server;
  let binhost = "";
  before(async () => {
    lab = await labNodeRoot();
    const gz = await readFile(fixture("portage/packages-index/Packages.gpkg-multi-instance.gz"));
    server = createServer((req, res) => {
      if (req.url === "/Packages.gz") res.writeHead(200, { "Content-Type": "application/gzip" }).end(gz);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    binhost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await lab.cleanup();
  });

  test("pretend/02: emerge -pvuDN @world without a binhost, byte for byte", async () => {
    const r = await emerge(lab.root, ["--color=n", "--pretend", "--verbose", "--update", "--deep", "--newuse", "@world"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(normalize(r.out), normalize(await readFile(fixture("portage/pretend/02-pvuDN-world.no-getbinpkg.stdout"), "utf8")));
    assert.equal(r.err, await readFile(fixture("portage/pretend/02-pvuDN-world.no-getbinpkg.stderr"), "utf8"));
  });

  test("pretend/01: with --getbinpkg against the captured binhost index, stdout and stderr byte for byte", async () => {
    const r = await emerge(lab.root, ["--color=n", "--pretend", "--verbose", "--update", "--deep", "--newuse", "--getbinpkg", "@world"], { PORTAGE_BINHOST: binhost });
    assert.equal(r.code, 0, r.err);
    assert.equal(normalize(r.out), normalize(await readFile(fixture("portage/pretend/01-pvuDN-getbinpkg-world.binhost-env.stdout"), "utf8")));
    assert.equal(r.err, await readFile(fixture("portage/pretend/01-pvuDN-getbinpkg-world.binhost-env.stderr"), "utf8"));
  });

  test("pretend/09: --binpkg-respect-use=y silences the notice", async () => {
    const r = await emerge(lab.root, ["--color=n", "--pretend", "--verbose", "--update", "--deep", "--newuse", "--getbinpkg", "--binpkg-respect-use=y", "@world"], { PORTAGE_BINHOST: binhost });
    assert.equal(normalize(r.out), normalize(await readFile(fixture("portage/pretend/09-pvuDN-getbinpkg-respect-use-y.binhost-env.stdout"), "utf8")));
    assert.doesNotMatch(r.err, /ignored due to non matching USE/);
  });

  test("pretend/16 and 17: masked and missing packages fail as Portage does", async () => {
    const masked = await emerge(lab.root, ["--color=n", "--pretend", "--verbose", "=app-misc/hello-1.2"]);
    assert.equal(masked.code, 1);
    assert.equal(masked.err, await readFile(fixture("portage/pretend/16-pv-keyword-masked-hello-1.2.stderr"), "utf8"));
    const missing = await emerge(lab.root, ["--color=n", "--pretend", "--verbose", "app-misc/doesnotexist"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /emerge: there are no ebuilds to satisfy "app-misc\/doesnotexist"\./);
  });
});
