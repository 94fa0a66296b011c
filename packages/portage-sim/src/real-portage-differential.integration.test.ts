// test: long 94 (seconds it took in a full npm test run: long files start first, longest first)
// The same node states through real Portage (../shared/portage, in @binfleet/real-portage machines)
// and through portage-sim: stdout, stderr and exit status must match, the resolution time aside.
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { type PreparedPortage, Machine, buildPackages, extendRepo, locatePortage, preparePortage, skipNote } from "@binfleet/real-portage";
import { fixture, noFixtures } from "@binfleet/shared/testing";
import { runTool } from "./cli.js";
import { BUILDS, CASES, type DiffCase, EXTRA_EBUILDS, type NodeState, STATES } from "./differential-cases.js";
import { type StaticServer, serveDirectory } from "./static-server.js";

const skip = locatePortage() === null ? skipNote : noFixtures;
const normalize = (s: string): string => s.replace(/Dependency resolution took [\d.]+ s/g, "Dependency resolution took X s");

interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs one thing at a time per key: Portage locks the vdb even for --pretend. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    this.tails.set(key, new Promise<void>((r) => (release = r)));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

describe("portage-sim prints what real Portage prints for the same node states", { skip, concurrency: 3 }, () => {
  let tmp: string;
  let portage: PreparedPortage;
  const servers: StaticServer[] = [];
  const urls = new Map<string, string>();
  const machines = new Map<string, Machine>();
  const lock = new KeyedLock();
  const fill = (text: string): string => text.replace(/\$\{(LAB|LAB304|BUILDER)_BINHOST\}/g, (_, which: string) => urls.get(which)!);
  const fillEnv = (env: Readonly<Record<string, string>> = {}): Record<string, string> => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v)]));

  async function makeState(base: Machine, name: string, state: NodeState): Promise<void> {
    const m = await base.clone(join(tmp, name));
    if (state.vdb !== null) await cp(fixture("portage/vdb", state.vdb), m.path("/var/db/pkg"), { recursive: true });
    if (state.world.length > 0) await m.writeFile("/var/lib/portage/world", state.world.map((w) => `${w}\n`).join(""));
    for (const [path, text] of Object.entries(state.files)) await m.writeFile(path, fill(text));
    if (state.prime !== undefined) {
      const r = await m.run(["emerge", "--pretend", "--getbinpkg", "@world"], { env: fillEnv(state.prime) });
      assert.equal(r.exitCode, 0, `priming ${name}'s binhost index: ${r.stderr}`);
    }
    machines.set(name, m);
  }

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-differential-"));
    portage = await preparePortage();
    const repo = await extendRepo(portage, EXTRA_EBUILDS);
    // The lab's gpkg binhost index, dated at its TIMESTAMP as the builder wrote it.
    const lab = join(tmp, "lab-binhost");
    await mkdir(lab);
    const index = await readFile(fixture("portage/packages-index/Packages.gpkg-multi-instance"), "utf8");
    await writeFile(join(lab, "Packages"), index);
    await writeFile(join(lab, "Packages.gz"), gzipSync(index));
    const ts = Number(/^TIMESTAMP: (\d+)$/m.exec(index)![1]);
    for (const f of ["Packages", "Packages.gz"]) await utimes(join(lab, f), ts, ts);
    const builder = await buildPackages(portage, BUILDS, { repo });
    for (const [which, dir, lastModifiedOn304] of [["LAB", lab, false], ["LAB304", lab, true], ["BUILDER", builder, false]] as const) {
      const server = await serveDirectory(dir, undefined, { lastModifiedOn304 });
      servers.push(server);
      urls.set(which, server.url);
    }
    const base = await Machine.create(join(tmp, "base"), { portage, repo });
    await Promise.all(Object.entries(STATES).map(([name, state]) => makeState(base, name, state)));
  });

  after(async () => {
    for (const m of machines.values()) await m.dispose();
    for (const s of servers) await s.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  async function real(c: DiffCase): Promise<Result> {
    const r = await lock.run(c.state, () => machines.get(c.state)!.run(["emerge", ...c.argv], { env: fillEnv(c.env) }));
    return { code: r.exitCode, out: r.stdout, err: r.stderr };
  }

  async function sim(c: DiffCase): Promise<Result> {
    let out = "";
    let err = "";
    const env = { BINFLEET_SIM_ROOT: machines.get(c.state)!.dir, ...fillEnv(c.env) };
    const code = await runTool("emerge", c.argv, env, { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  for (const c of CASES) {
    test(`${c.name} [${c.state}]: emerge ${c.argv.join(" ")}`, async () => {
      const want = await real(c);
      const got = await sim(c);
      assert.equal(normalize(got.out), normalize(want.out), "stdout");
      assert.equal(got.err, want.err, "stderr");
      assert.equal(got.code, want.code, "exit status");
    });
  }
});
