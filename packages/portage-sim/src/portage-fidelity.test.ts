import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { fixture, fixturesRoot, noFixtures } from "@binfleet/shared/testing";
import { runTool } from "./cli.js";
import { labNodeRoot } from "./lab-fixture.js";
import { type StaticServer, serveDirectory } from "./static-server.js";

const timing = /Dependency resolution took [\d.]+ s/g;
const normalize = (s: string): string => s.replace(timing, "Dependency resolution took X s");
const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

async function emerge(root: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTool("emerge", argv, { BINFLEET_SIM_ROOT: root, ...env }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A lab binhost: the captured index, its files dated at its TIMESTAMP as the builder wrote them, served like python's http.server. */
async function labBinhost(dir: string, index: string): Promise<StaticServer> {
  const text = await readFile(fixture("portage/packages-index", index), "utf8");
  await writeFile(join(dir, "Packages"), text);
  await writeFile(join(dir, "Packages.gz"), gzipSync(text));
  const ts = Number(/^TIMESTAMP: (\d+)$/m.exec(text)![1]);
  for (const f of ["Packages", "Packages.gz"]) await utimes(join(dir, f), ts, ts);
  return serveDirectory(dir);
}

const cases = fixturesRoot === null ? [] : readdirSync(fixture("portage/pretend")).filter((f) => f.endsWith(".cmd")).map((f) => f.slice(0, -4)).sort();

describe("portage-sim prints what real Portage printed for the lab node (pretend/01–17)", { skip: noFixtures }, () => {
  let tmp: string;
  const binhosts = new Map<string, StaticServer>();
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-fidelity-"));
    // The lab served the gpkg index on :8080 and the xpak one on :8081.
    for (const [port, index] of [["8080", "Packages.gpkg-multi-instance"], ["8081", "Packages.xpak-multi-instance"]] as const) {
      const dir = join(tmp, port);
      await mkdir(dir);
      binhosts.set(`http://127.0.0.1:${port}`, await labBinhost(dir, index));
    }
  });
  after(async () => {
    for (const s of binhosts.values()) await s.close();
    await rm(tmp, { recursive: true, force: true });
  });

  for (const name of cases) {
    test(`pretend/${name}: stdout, stderr and exit status as captured`, async () => {
      const n = Number(name.slice(0, 2));
      const cmd = (await readFile(fixture("portage/pretend", `${name}.cmd`), "utf8")).split("\n")[1]!;
      const want = {
        out: await readFile(fixture("portage/pretend", `${name}.stdout`), "utf8"),
        err: await readFile(fixture("portage/pretend", `${name}.stderr`), "utf8"),
        code: Number((await readFile(fixture("portage/pretend", `${name}.rc`), "utf8")).trim()),
      };
      const labUri = /PORTAGE_BINHOST=(\S+)/.exec(cmd)?.[1];
      const env: Record<string, string> = labUri === undefined ? {} : { PORTAGE_BINHOST: binhosts.get(labUri)!.url };
      const lab = await labNodeRoot({ afterUpdate: n >= 14, ...(n >= 13 ? { binreposUri: binhosts.get("http://127.0.0.1:8080")!.url } : {}) });
      try {
        const argv = cmd.replace(/^.*?emerge /, "").split(" ");
        // The capture ran with the index already cached when Portage said so.
        if (/Local copy of remote index is up-to-date/.test(want.err)) await emerge(lab.root, argv, env);
        const got = await emerge(lab.root, argv, env);
        // PORTAGE_BINHOST repositories are named by the md5 of their URL: ours is on another port.
        const err = labUri === undefined ? got.err : got.err.replaceAll(md5(env["PORTAGE_BINHOST"]!), md5(labUri));
        assert.equal(normalize(got.out), normalize(want.out));
        assert.equal(err, want.err);
        assert.equal(got.code, want.code);
      } finally {
        await lab.cleanup();
      }
    });
  }
});
