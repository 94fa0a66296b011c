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
async function labBinhost(root: string, sub: string, index: string, auth?: { user: string; pass: string }): Promise<StaticServer> {
  const dir = join(root, sub);
  await mkdir(dir, { recursive: true });
  const text = await readFile(fixture("portage/packages-index", index), "utf8");
  await writeFile(join(dir, "Packages"), text);
  await writeFile(join(dir, "Packages.gz"), gzipSync(text));
  const ts = Number(/^TIMESTAMP: (\d+)$/m.exec(text)![1]);
  for (const f of ["Packages", "Packages.gz"]) await utimes(join(dir, f), ts, ts);
  return serveDirectory(root, auth);
}

interface Captured {
  readonly cmd: string;
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

async function captured(dir: string, name: string): Promise<Captured> {
  const read = (ext: string): Promise<string> => readFile(fixture("portage", dir, `${name}.${ext}`), "utf8");
  return { cmd: (await read("cmd")).split("\n")[1]!, out: await read("stdout"), err: await read("stderr"), code: Number((await read("rc")).trim()) };
}

const listCases = (dir: string, pattern: RegExp): string[] =>
  fixturesRoot === null ? [] : readdirSync(fixture("portage", dir)).filter((f) => pattern.test(f)).map((f) => f.slice(0, -4)).sort();
const cases = listCases("pretend", /\.cmd$/);
// basic-auth/05 installs (wget output with times); the others are pretend runs.
const authCases = listCases("basic-auth", /^(?!05-).*\.cmd$/);

describe("portage-sim prints what real Portage printed for the lab node (pretend/, basic-auth/)", { skip: noFixtures }, () => {
  let tmp: string;
  const binhosts = new Map<string, StaticServer>();
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-fidelity-"));
    // The lab served the gpkg index on :8080 and the xpak one on :8081.
    for (const [port, index] of [["8080", "Packages.gpkg-multi-instance"], ["8081", "Packages.xpak-multi-instance"]] as const) {
      binhosts.set(`http://127.0.0.1:${port}`, await labBinhost(join(tmp, port), ".", index));
    }
    // basic-auth/: the gpkg index under amd64/binpkgs on :8091, behind Basic auth.
    binhosts.set("http://127.0.0.1:8091", await labBinhost(join(tmp, "8091"), "amd64/binpkgs", "Packages.gpkg-multi-instance", { user: "binuser", pass: "binpass" }));
  });
  after(async () => {
    for (const s of binhosts.values()) await s.close();
    await rm(tmp, { recursive: true, force: true });
  });

  for (const name of cases) {
    test(`pretend/${name}: stdout, stderr and exit status as captured`, async () => {
      const n = Number(name.slice(0, 2));
      const want = await captured("pretend", name);
      const cmd = want.cmd;
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

  for (const name of authCases) {
    test(`basic-auth/${name}: stdout, stderr and exit status as captured`, async () => {
      const want = await captured("basic-auth", name);
      const server = binhosts.get("http://127.0.0.1:8091")!;
      const port = new URL(server.url).port;
      const labUri = /PORTAGE_BINHOST="([^"]+)"/.exec(want.cmd)?.[1];
      const env: Record<string, string> = labUri === undefined ? {} : { PORTAGE_BINHOST: labUri.replace(":8091", `:${port}`) };
      const lab = await labNodeRoot({ afterUpdate: true });
      try {
        if (labUri === undefined) {
          // Only the auth binrepo was configured; 04 had a wrong password in it.
          const conf = (await readFile(fixture("portage/basic-auth/binrepos.conf.binfleet-auth.conf"), "utf8")).replace(":8091", `:${port}`);
          await mkdir(join(lab.root, "etc/portage/binrepos.conf"), { recursive: true });
          await writeFile(join(lab.root, "etc/portage/binrepos.conf/binfleet-auth.conf"), name.startsWith("04-") ? conf.replace("binpass", "WRONG") : conf);
        }
        const argv = want.cmd.replace(/^.*?emerge /, "").split(" ");
        if (/Local copy of remote index is up-to-date/.test(want.err)) await emerge(lab.root, argv, env);
        const got = await emerge(lab.root, argv, env);
        const err = (labUri === undefined ? got.err : got.err.replaceAll(md5(env["PORTAGE_BINHOST"]!), md5(labUri))).replaceAll(`:${port}/`, ":8091/");
        assert.equal(normalize(got.out), normalize(want.out));
        assert.equal(err, want.err);
        assert.equal(got.code, want.code);
      } finally {
        await lab.cleanup();
      }
    });
  }
});
