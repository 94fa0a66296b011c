import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Coordinator, adminTokenFile } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type FleetHarness, pretend, startFleet } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

describe("a platform no builder serves: binfleet platforms create makes one from a node's report", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  const log = createLogger({ name: "e2e", level: "error", destination: new PassThrough() });
  const cli = (...args: string[]) =>
    runProgram("binfleet", ["--server", h.coordinator.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), ...args], { reject: false });

  before(async () => {
    // Short: the new builder root, and its gpg-agent sockets, live under it.
    tmp = await mkdtemp(join(tmpdir(), "bf-pc-"));
    fleet = await generateFleet({ nodes: 2, platforms: 2, seed: 19, lag: 0.02, out: join(tmp, "fleet") });
    // A builder root for the first platform only (left idle: this test is about the second), whose
    // nodes compile everything.
    h = await startFleet({ fleet, dir: tmp, log, speed: "0", builderPlatforms: [fleet.platforms[0]!.name], workersOfFirstPlatform: 0 });
    for (const n of fleet.nodes) await until(`${n.name} reported`, async () => h.coordinator.fleet.registry.get(n.name) ?? null, 120_000, 250);
  });

  after(async () => {
    await h?.teardown();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  test("platforms create: a builder root with the node's settings; the platform's nodes are told their binhost and end up compiling nothing", async () => {
    const second = fleet.platforms[1]!;
    const onSecond = fleet.nodes.filter((n) => n.platform === second.name);
    assert.ok((await pretend(onSecond[0]!.root)).plan.total!.packages > 0, "without a builder, the node would compile");
    const refused = await cli("platforms", "create", "again", "--from-node", fleet.nodes.find((n) => n.platform === fleet.platforms[0]!.name)!.name);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /is built already, as /);

    // A directory of that name, the admin's: left alone.
    await mkdir(join(tmp, "coordinator/builders/taken"), { recursive: true });
    await writeFile(join(tmp, "coordinator/builders/taken/notes"), "mine");
    const taken = await cli("platforms", "create", "taken", "--from-node", onSecond[0]!.name);
    assert.equal(taken.exitCode, 1);
    assert.match(taken.stderr, /exists and is not empty/);
    assert.equal(await readFile(join(tmp, "coordinator/builders/taken/notes"), "utf8"), "mine");

    const r = await cli("--json", "platforms", "create", "second-new", "--from-node", onSecond[0]!.name);
    assert.equal(r.exitCode, 0, r.stderr);
    const made = JSON.parse(r.stdout) as { name: string; key: string; root: string; binhostUrl: string; nodesTold: string[] };
    assert.equal(made.key, second.key, "Portage in the new root reports the node's platform");
    assert.deepEqual(made.nodesTold, onSecond.map((n) => n.name).sort());
    assert.match(await readFile(join(made.root, "etc/portage/make.conf"), "utf8"), new RegExp(`\\nCFLAGS="${second.cflags}"\\n`));

    for (const n of onSecond) {
      await h.untilCurrent(n, `${n.name} current from the new binhost`, 300_000);
      assert.match(await readFile(join(n.root, "etc/portage/binrepos.conf/binfleet.conf"), "utf8"), new RegExp(`sync-uri = ${made.binhostUrl.replace(/[.]/g, "\\.")}\\n`));
    }
    const counts = (await h.binhostCounts()).get("second-new")!;
    assert.ok(counts.size > 0);
    for (const [variant, n] of counts) assert.equal(n, 1, `${variant} built once`);
    assert.deepEqual(h.busRefusals(), []);
  });

  test("the created platform is kept on the bus: a coordinator started again with the same configuration serves it", async () => {
    const configured = h.coordinator.config;
    await h.coordinator.shutdown();
    const again = await Coordinator.create(configured, log);
    try {
      assert.deepEqual(again.platforms.all().map((p) => p.name), [fleet.platforms[0]!.name, "second-new"]);
      assert.equal(again.platforms.find("second-new")?.key, fleet.platforms[1]!.key);
    } finally {
      await again.shutdown();
    }
  });
});
