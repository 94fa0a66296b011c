// test: serial (a builder is killed mid-build; its lease must run out)
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { type BuildRecord, adminTokenFile, heldVariants } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { parsePackagesIndex } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type FleetHarness, binOf, extraRoot, simBuilderPortage, startFleet } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

/** Short, so that the killed builder's job is taken soon; a live builder renews every LEASE_SECONDS / 6 s. */
const LEASE_SECONDS = 3;

const spawnBuilder = (config: string, tmp: string) =>
  // Its own process group: SIGKILL takes its emerge with it, as a crashed host would. Its temp
  // files in the test's directory: a process killed mid-build leaves them.
  execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet-coordinator.js"), "builder", "--config", config], { detached: true, reject: false, all: true, env: { TMPDIR: tmp } });
type Builder = { child: ReturnType<typeof spawnBuilder>; output: () => string };

describe("builder processes: one killed mid-job, its job is built by another", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  const builders: Builder[] = [];

  /** `binfleet-coordinator builder` on its own copy of the builder root, writing into the binhost's PKGDIR. */
  const startBuilder = async (name: string): Promise<Builder> => {
    const p = fleet.platforms[0]!;
    // What an admin sets up on a build host: a copy of the builder root with the platform's signing
    // key, and the binhost's PKGDIR mounted where Portage writes its binaries.
    const root = await extraRoot(p, name);
    // Its own bus user: `binfleet enroll-builder NAME --out FILE` writes the "nats" part of its config.
    const enrolled = join(tmp, `${name}-nats.json`);
    const cli = await runProgram("binfleet", ["--server", h.coordinator.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "enroll-builder", name, "--out", enrolled], { reject: false });
    assert.equal(cli.exitCode, 0, cli.stderr);
    const { nats } = JSON.parse(await readFile(enrolled, "utf8")) as { nats: { user: string } };
    assert.equal(nats.user, `binfleet-builder-${name}`);
    const config = {
      stateDir: join(tmp, `state-${name}`),
      nats,
      platforms: [{ name: p.name, key: p.key, root, workers: 1 }],
      // A simulated build second is 1 ms: the longest build of this fleet takes ~9 s, the shortest
      // still runs long past the 50 ms it takes the test to see builder a running and kill it.
      portage: simBuilderPortage({ BINFLEET_SIM_SPEED: "0.001" }),
      buildLeaseSeconds: LEASE_SECONDS,
    };
    await writeFile(join(tmp, `${name}.json`), JSON.stringify(config));
    await mkdir(join(tmp, `tmp-${name}`));
    const child = spawnBuilder(join(tmp, `${name}.json`), join(tmp, `tmp-${name}`));
    let out = "";
    child.all?.on("data", (d: Buffer) => void (out += d.toString()));
    const b = { child, output: () => out };
    builders.push(b);
    await until(`builder ${name} started`, async () => (out.includes('"msg":"builder started"') ? true : null), 60_000, 100);
    return b;
  };
  const instanceOf = (b: Builder): string => /"instance":"([^"]+)"/.exec(b.output())![1]!;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-failover-"));
    fleet = await generateFleet({ nodes: 2, platforms: 1, seed: 6, lag: 0.05, out: join(tmp, "fleet") });
    // The coordinator builds nothing itself here: the two builder processes do.
    h = await startFleet({ fleet, dir: tmp, log: createLogger({ name: "test", level: "error", destination: new PassThrough() }), speed: "0", workersOfFirstPlatform: 0, config: { buildLeaseSeconds: LEASE_SECONDS } });
  });

  after(async () => {
    for (const b of builders) {
      try {
        process.kill(-b.child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await b.child;
    }
    await h?.teardown();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
    else for (const [i, b] of builders.entries()) await writeFile(join(tmp, `builder-${i}.log`), b.output());
  });

  test("SIGKILL a builder while it builds: another builder takes the job once its lease ends; nodes get every binary once", async () => {
    const a = await startBuilder("a");
    const b = await startBuilder("b");
    const board = h.coordinator.board;
    const victim = await until("builder a running a build", async () => board.all().find((r) => r.state === "running" && r.builder.endsWith(`@${instanceOf(a)}`)) ?? null, 180_000, 50);
    try {
      process.kill(-a.child.pid!, "SIGKILL");
    } catch (err) {
      assert.fail(`builder a was gone before it was killed (${String(err)}); what it printed:\n${a.output().slice(-4000)}`);
    }
    await a.child;

    const taken = await until("the job finished by builder b", async () => {
      const r = board.get(victim.key);
      return r?.state === "succeeded" ? r : null;
    }, 120_000, 250);
    assert.ok(taken.builder.endsWith(`@${instanceOf(b)}`), `built by b, not ${taken.builder}`);
    // Built again as a second attempt, or found on the binhost already (the killed build had
    // written it, or b compiled it as a dependency of another job): never built twice, see below.
    assert.ok(taken.attempt >= 2 || taken.logTail.length === 0, `attempt ${taken.attempt}, ${taken.logTail.length} log lines`);

    // The coordinator takes in what builder processes built: every node ends up with nothing to compile.
    for (const n of fleet.nodes) await h.untilCurrent(n, `${n.name} current`, 300_000);
    const index = parsePackagesIndex(await readFile(join(fleet.platforms[0]!.builderRoot, "var/cache/binpkgs/Packages"), "utf8"));
    const counts = new Map<string, number>();
    for (const k of heldVariants(fleet.platforms[0]!.key, index)) counts.set(k, (counts.get(k) ?? 0) + 1);
    assert.equal(counts.get(victim.key), 1, "the interrupted variant is on the binhost once");
    for (const r of board.all().filter((x: BuildRecord) => x.state === "succeeded")) assert.equal(counts.get(r.key), 1, `${r.key} built exactly once`);
    // All of it within the builders' own bus users' permissions (and the coordinator's).
    assert.doesNotMatch(h.coordinator.busServerLog(), /Violation/);
    assert.doesNotMatch(a.output() + b.output(), /bus refused an operation/);
  });
});
