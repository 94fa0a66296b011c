// Runs alongside other files: it kills a server of its own cluster and waits for elections and acks, with no deadline tighter than a minute.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { reportThroughClusterKill } from "./cluster-reports.js";

describe("a 3-server nats cluster loses a server while agents report", () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-cluster-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  test("SIGKILL one server mid-stream, restart it: every report is stored once and reaches the coordinator", async () => {
    const r = await reportThroughClusterKill({ agents: 150, dir: tmp, log: createLogger({ name: "test", level: "error", destination: new PassThrough() }), connections: 9 });
    assert.equal(r.stored, 150, "each node's report stored exactly once (message ids dedupe the retries)");
    assert.equal(r.registered, 150);
  });
});
