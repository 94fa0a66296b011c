// Request fields of a megabyte: refused promptly with INVALID_ARGUMENT or NOT_FOUND, the channel
// still answers the next call, and nothing the coordinator logs or replies echoes the megabyte.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { FleetControlClient } from "@binfleet/api";
import { Coordinator, adminTokenFile, coordinatorConfig } from "@binfleet/coordinator/internal";
import { createLogger } from "@binfleet/daemon";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import * as grpc from "@grpc/grpc-js";
import { simBuilderPortage } from "./fleet-harness.js";
import { adminApi } from "./admin-api.js";

describe("the ops API given a megabyte in a request field", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;
  let api: FleetControlClient;
  const lines: string[] = [];
  const huge = "x".repeat(1024 * 1024);

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-hostile-api-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 23, lag: 0.05, out: join(tmp, "fleet") });
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => lines.push(...d.toString().split("\n").filter((l) => l !== "")));
    const p = fleet.platforms[0]!;
    c = await Coordinator.create(
      coordinatorConfig({
        stateDir: join(tmp, "coordinator"),
        nats: { urls: [], embeddedPort: 0 },
        http: { host: "127.0.0.1", port: 0 },
        api: { host: "127.0.0.1", port: 0 },
        platforms: [{ name: p.name, key: p.key, root: p.builderRoot, workers: 0 }],
        portage: simBuilderPortage(),
      }),
      createLogger({ name: "test", level: "info", destination: sink }),
    );
    await c.start();
    api = await adminApi(c.apiAddress, adminTokenFile(join(tmp, "coordinator")));
  });

  after(async () => {
    api?.close();
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  const refused = (codes: grpc.status[]) => (e: grpc.ServiceError) => codes.includes(e.code) && e.details.length < 4096;

  test("each call is refused at once with a short message, and the same channel answers the next call", async () => {
    const o = () => ({ deadline: Date.now() + 10_000 });
    await assert.rejects(api.hold({ atom: "app-misc/hello", platformKey: huge, reason: "" }, o()), refused([grpc.status.NOT_FOUND]));
    await assert.rejects(api.hold({ atom: huge, platformKey: "", reason: huge }, o()), refused([grpc.status.INVALID_ARGUMENT]));
    await assert.rejects(api.unhold({ atom: huge, platformKey: "" }, o()), refused([grpc.status.INVALID_ARGUMENT]));
    await assert.rejects(api.unhold({ atom: `app-misc/${huge}`, platformKey: "" }, o()), refused([grpc.status.INVALID_ARGUMENT]));
    await assert.rejects(api.listBuilds({ platformKey: huge, states: [] }, o()), refused([grpc.status.NOT_FOUND]));
    await assert.rejects(api.explain({ nodeId: huge, atom: "" }, o()), refused([grpc.status.INVALID_ARGUMENT]));
    await assert.rejects(api.approve({ variantIds: [huge, huge], all: false, platformKey: "" }, o()), refused([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND]));
    assert.equal((await api.listPlatforms({}, o())).platforms.length, 1, "the channel still answers");
  });

  test("no log line is over 4 KB, the audit lines included", () => {
    assert.ok(lines.some((l) => l.includes('"msg":"api mutation"')), "the mutations were logged");
    const long = lines.filter((l) => l.length > 4096);
    assert.deepEqual(long.map((l) => l.slice(0, 200)), []);
  });
});
