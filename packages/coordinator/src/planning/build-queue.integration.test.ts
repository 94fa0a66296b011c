import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { buckets, streams, subjects } from "@binfleet/bus";
import { createLogger } from "@binfleet/daemon";
import { type NatsServer, startNatsServer } from "@binfleet/nats-server";
import { until } from "@binfleet/shared/testing";
import { BuildJobSchema } from "@binfleet/shared/wire";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { PlatformCatalog } from "../builders/platform-catalog.js";
import { PlatformConfigSchema, coordinatorConfig } from "../config/coordinator-config.js";
import { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import { BuildBoard } from "./build-board.js";
import { BuildEstimates } from "./build-estimates.js";
import { type BuildItem, BuildPlanner, variantKey } from "./build-planner.js";
import { BuildQueue } from "./build-queue.js";
import { PolicyStore } from "./policy-store.js";
import { QueuedWork } from "./queued-work.js";

const quiet = createLogger({ name: "test", level: "error", destination: new PassThrough() });
const platform = PlatformConfigSchema.parse({ name: "amd64", key: "amd64-k", root: "/nonexistent" });
const item = (cpv: string, use: string[]): BuildItem => {
  const variant = { platformKey: platform.key, cpv, use, disabled: ["zstd"] };
  return { key: variantKey(variant), variant, wantedBy: ["node-1"] };
};

describe("BuildQueue: security builds (binfleet glsa fix)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let queue: BuildQueue;
  let planner: BuildPlanner;
  let policy: PolicyStore;
  let queued: QueuedWork;
  /** The cpv of every job on the platform's security subject, oldest first. */
  const securityJobs = async (): Promise<string[]> => {
    const state = (await jsm.streams.info(streams.builds.name)).state;
    const out: string[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(streams.builds.name, { seq });
      if (m?.subject === subjects.securityBuild(platform.name)) out.push(fromBinary(BuildJobSchema, m.data).cpv);
    }
    return out;
  };

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ ...streams.builds, subjects: [...streams.builds.subjects] });
    const kvm = new Kvm(nc);
    const board = new BuildBoard(quiet);
    await board.follow(await kvm.create(buckets.builds));
    policy = await PolicyStore.open(await kvm.create(buckets.policy), { configHolds: [], requireApproval: () => true, autoApprove: [] });
    queued = await QueuedWork.open(await kvm.create(buckets.queuedWork));
    planner = new BuildPlanner();
    const config = coordinatorConfig({ stateDir: "/nonexistent" });
    queue = new BuildQueue({
      planner,
      policy,
      board,
      estimates: new BuildEstimates(),
      queuedWork: queued,
      registry: new NodeRegistry(60_000),
      platforms: new PlatformCatalog(config.portage, [platform], () => "http://binhost"),
      commands: {} as CommandSender,
      js: jetstream(nc),
      jsm,
      leaseSeconds: 60,
      fleetSnapshot: () => "",
      log: quiet,
    });
  });

  after(async () => {
    queue?.stop();
    policy?.stop();
    queued?.stop();
    await nc?.close();
    await server?.dispose();
  });

  test("under policy.security approve a fixing version waits for binfleet approve, first in the plan; approved, it goes on the security subject", async () => {
    const fix = item("dev-libs/openssl-3.0.15", ["asm"]);
    planner.updateNode({ nodeId: "node-1", platformKey: platform.key, wants: [{ cpv: "sys-libs/zlib-1.3", use: [] }] });
    await queue.queueSecurity([fix], null);
    const plan = queue.plan(platform.key);
    assert.deepEqual(plan.map((e) => [e.item.variant.cpv, e.state]), [["dev-libs/openssl-3.0.15", "waiting-approval"], ["sys-libs/zlib-1.3", "waiting-approval"]]);
    assert.deepEqual(await securityJobs(), []);
    await queue.approve([plan[0]!.id], false, "", { name: "alice", role: "operator" });
    assert.deepEqual(await securityJobs(), ["dev-libs/openssl-3.0.15"]);
    const job = fromBinary(BuildJobSchema, (await jsm.streams.getMessage(streams.builds.name, { last_by_subj: subjects.securityBuild(platform.name) }))!.data);
    assert.deepEqual([job.use, job.useDisabled, job.useComplete, job.wantedBy], [["asm"], ["zstd"], true, ["node-1"]]);
  });

  test("under policy.security auto the fix is the approval: queued at once, counted as urgent work for the builder slots", async () => {
    const fix = item("net-misc/curl-8.9.1", []);
    await queue.queueSecurity([fix], "bob (binfleet glsa fix 202611-01)");
    assert.equal(policy.needsApproval(platform.key, fix.variant.cpv, fix.key), false);
    assert.deepEqual(await securityJobs(), ["dev-libs/openssl-3.0.15", "net-misc/curl-8.9.1"]);
    const q = await until("queued work published", async () => (queued.get(platform.name).urgent === 2 ? queued.get(platform.name) : null), 10_000, 100);
    assert.equal(q.jobs, 2, "the zlib build still waits for its approval");
  });

  test("a security build the binhost holds is done with", () => {
    planner.markHeld(item("net-misc/curl-8.9.1", []).key);
    assert.deepEqual(queue.plan(platform.key).map((e) => e.item.variant.cpv), ["dev-libs/openssl-3.0.15", "sys-libs/zlib-1.3"]);
  });
});
