// test: long 16 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { pino } from "pino";
import { createLogger } from "@binfleet/daemon";
import { type FleetHarness, extraRoot, startFleet } from "./fleet-harness.js";

describe("builder slots: a platform with two builder roots builds on both, into one PKGDIR", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-slots-"));
    fleet = await generateFleet({ nodes: 2, platforms: 1, seed: 17, lag: 0.05, out: join(tmp, "fleet") });
    // Two builds at once for the whole binhost, and two roots for its platform.
    const first = fleet.platforms[0]!;
    h = await startFleet({
      fleet,
      dir: tmp,
      log: createLogger({ name: "e2e", level: "info", destination: process.env["BINFLEET_E2E_LOG"] === undefined ? new PassThrough() : pino.destination({ dest: process.env["BINFLEET_E2E_LOG"], append: true, sync: true }) }),
      speed: "0",
      extraRoots: { [first.name]: [await extraRoot(first, `${first.name}-second`)] },
      config: { builderSlots: 2 },
    });
    for (const n of fleet.nodes) await h.untilCurrent(n, `${n.name} current`, 300_000);
  });

  after(async () => {
    await h?.teardown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("both roots built for the platform, into one PKGDIR: every variant once, every node current", async () => {
    const first = fleet.platforms[0]!;
    const builders = new Set(h.coordinator.board.all().filter((r) => r.key.startsWith(`${first.key}|`) && r.logTail.length > 0).map((r) => r.builder.replace(/@.*$/, "")));
    assert.deepEqual([...builders].sort(), [`${first.name}#0`, `${first.name}#1`]);
    for (const [name, counts] of await h.binhostCounts()) for (const [k, n] of counts) assert.equal(n, 1, `${k} appears ${n} times in ${name}'s Packages`);
  });
});
