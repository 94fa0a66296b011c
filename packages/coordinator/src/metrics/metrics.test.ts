import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { execa } from "execa";
import type { BuildRecord } from "../builders/builder-worker.js";
import type { NodeRecord, NodeState } from "../ingest/node-registry.js";
import { BuildPlanner } from "../planning/build-planner.js";
import { type AdvisoryGauge, CoordinatorMetrics } from "./metrics.js";

const record = (over: Partial<BuildRecord>): BuildRecord => ({
  key: "amd64|app-misc/hello-1.0|",
  state: "running",
  builder: "b1",
  attempt: 1,
  startedAt: 100_000,
  renewedAt: 100_000,
  finishedAt: 0,
  error: "",
  logTail: [],
  ...over,
});

/** A coordinator's metrics over a fleet of the given nodes and advisories. */
function metricsOf(nodes: { id: string; platform: string; state: NodeState }[] = [], advisories: AdvisoryGauge[] = [], installs = { installedBinary: 0, compiledLocally: 0 }): CoordinatorMetrics {
  const m = new CoordinatorMetrics();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  m.observeFleet({
    registry: { all: () => nodes.map((n) => ({ nodeId: n.id, platformKey: n.platform }) as NodeRecord), state: (n) => byId.get(n.nodeId)!.state },
    queue: { planner: new BuildPlanner(), plan: () => [] },
    installs: () => installs,
    advisories: () => advisories,
  });
  return m;
}

const lines = (text: string, prefix: string): string[] => text.split("\n").filter((l) => l.startsWith(prefix));

describe("CoordinatorMetrics", () => {
  test("advisories: nodes exposed per advisory and severity, and exposures per severity; unexposing advisories are left out", async () => {
    const text = await metricsOf([], [
      { id: "202611-01", severity: "high", nodes: 3 },
      { id: "202611-02", severity: "high", nodes: 2 },
      { id: "202611-03", severity: "low", nodes: 0 },
      { id: "202611-04", severity: 'we"ird\\', nodes: 1 },
    ]).render();
    assert.deepEqual(lines(text, "binfleet_glsa_"), [
      'binfleet_glsa_exposed_nodes{glsa="202611-01",severity="high"} 3',
      'binfleet_glsa_exposed_nodes{glsa="202611-02",severity="high"} 2',
      'binfleet_glsa_exposed_nodes{glsa="202611-04",severity="we\\"ird\\\\"} 1',
      'binfleet_glsa_exposures{severity="high"} 5',
      'binfleet_glsa_exposures{severity="we\\"ird\\\\"} 1',
    ]);
    assert.match(text, /# TYPE binfleet_glsa_exposed_nodes gauge\n/);
  });

  test("nodes by platform and state, installs by kind and the cache hit ratio are read at each scrape", async () => {
    const nodes = [
      { id: "n1", platform: "amd64", state: "current" as const },
      { id: "n2", platform: "amd64", state: "current" as const },
      { id: "n3", platform: "arm64", state: "stale" as const },
    ];
    const installs = { installedBinary: 3, compiledLocally: 1 };
    const m = metricsOf(nodes, [], installs);
    let text = await m.render();
    assert.deepEqual(lines(text, "binfleet_nodes{"), ['binfleet_nodes{platform="amd64",state="current"} 2', 'binfleet_nodes{platform="arm64",state="stale"} 1']);
    assert.deepEqual(lines(text, "binfleet_node_installs_total"), ['binfleet_node_installs_total{kind="binary"} 3', 'binfleet_node_installs_total{kind="compiled"} 1']);
    assert.deepEqual(lines(text, "binfleet_cache_hit_ratio "), ["binfleet_cache_hit_ratio 0.75"]);
    nodes.pop();
    installs.installedBinary = 5;
    text = await m.render();
    assert.deepEqual(lines(text, "binfleet_nodes{"), ['binfleet_nodes{platform="amd64",state="current"} 2']);
    assert.deepEqual(lines(text, 'binfleet_node_installs_total{kind="binary"}'), ['binfleet_node_installs_total{kind="binary"} 5']);
  });

  test("a scrape reads advisories and installs once for the two metrics that show each; a metric read alone reads them itself", async () => {
    const calls = { advisories: 0, installs: 0 };
    const m = new CoordinatorMetrics();
    m.observeFleet({
      registry: { all: () => [], state: () => "current" },
      queue: { planner: new BuildPlanner(), plan: () => [] },
      installs: () => (calls.installs++, { installedBinary: 1, compiledLocally: 1 }),
      advisories: () => (calls.advisories++, [{ id: "202611-01", severity: "high", nodes: 2 }]),
    });
    const text = await m.render();
    assert.deepEqual(calls, { advisories: 1, installs: 1 });
    assert.deepEqual(lines(text, "binfleet_cache_hit_ratio "), ["binfleet_cache_hit_ratio 0.5"]);
    assert.deepEqual(lines(text, "binfleet_glsa_exposures"), ['binfleet_glsa_exposures{severity="high"} 2']);
    await m.render();
    assert.deepEqual(calls, { advisories: 2, installs: 2 }, "each scrape reads afresh");
    const ratio = await m.registry.getSingleMetric("binfleet_cache_hit_ratio")!.get();
    assert.deepEqual(ratio.values.map((v) => v.value), [0.5]);
    assert.equal(calls.installs, 3);
  });

  test("each build is counted once when it ends, with its duration; builds ended before start are not; queue waits are timed", async () => {
    const m = metricsOf();
    m.seed([record({ key: "amd64|old-1|", state: "succeeded", finishedAt: 50_000 })]);
    m.buildRecord(record({ key: "amd64|old-1|", state: "succeeded", finishedAt: 50_000 }));
    m.buildQueued("amd64|app-misc/hello-1.0|", 97_500);
    m.buildRecord(record({}));
    m.buildRecord(record({ renewedAt: 130_000 }));
    m.buildRecord(record({ state: "succeeded", finishedAt: 190_000 }));
    m.buildRecord(record({ state: "succeeded", finishedAt: 190_000, renewedAt: 190_000 }));
    // A second attempt of another variant fails after 2 s; it was never queued by this process.
    m.buildRecord(record({ key: "arm64|x-1|", attempt: 2, startedAt: 200_000, state: "failed", finishedAt: 202_000 }));
    const text = await m.render();
    assert.deepEqual(lines(text, "binfleet_builds_total"), ['binfleet_builds_total{platform="amd64",result="succeeded"} 1', 'binfleet_builds_total{platform="arm64",result="failed"} 1']);
    assert.ok(text.includes('binfleet_build_duration_seconds_bucket{le="120",platform="amd64",result="succeeded"} 1'), "90 s falls in le=120");
    assert.ok(text.includes('binfleet_build_duration_seconds_bucket{le="60",platform="amd64",result="succeeded"} 0'));
    assert.ok(text.includes('binfleet_build_duration_seconds_sum{platform="arm64",result="failed"} 2'));
    assert.deepEqual(lines(text, "binfleet_build_queue_wait_seconds_sum"), ['binfleet_build_queue_wait_seconds_sum{platform="amd64"} 2.5']);
    assert.deepEqual(lines(text, "binfleet_build_queue_wait_seconds_count"), ['binfleet_build_queue_wait_seconds_count{platform="amd64"} 1']);
  });

  test("binhost requests by method and status; process and Node.js default metrics", async () => {
    const m = metricsOf();
    m.httpResponse("GET", 200);
    m.httpResponse("GET", 200);
    m.httpResponse("HEAD", 304);
    m.httpResponse("PROPFIND", 405);
    let cached = 0;
    m.observeServedFileCache(() => cached);
    cached = 524288;
    const text = await m.render();
    assert.deepEqual(lines(text, "binfleet_binhost_cache_bytes"), ["binfleet_binhost_cache_bytes 524288"], "read at the scrape");
    assert.deepEqual(lines(text, "binfleet_binhost_http_requests_total"), [
      'binfleet_binhost_http_requests_total{method="GET",code="200"} 2',
      'binfleet_binhost_http_requests_total{method="HEAD",code="304"} 1',
      'binfleet_binhost_http_requests_total{method="other",code="405"} 1',
    ]);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
      assert.match(text, new RegExp(`^${name} `, "m"), name);
    }
  });

  test("the exposition passes promtool check metrics", async (t) => {
    if ((await execa("promtool", ["--version"], { reject: false })).exitCode !== 0) return t.skip("promtool is not installed (Debian: apt-get install prometheus)");
    const m = metricsOf([{ id: "n1", platform: "amd64", state: "current" }], [{ id: "202611-01", severity: "high", nodes: 1 }], { installedBinary: 1, compiledLocally: 0 });
    m.buildQueued("amd64|app-misc/hello-1.0|", 99_000);
    m.buildRecord(record({ state: "succeeded", finishedAt: 130_000 }));
    m.httpResponse("GET", 200);
    const text = await m.render();
    const r = await execa("promtool", ["check", "metrics"], { input: text, reject: false });
    assert.equal(r.exitCode, 0, `${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), "", "no lint findings");
    // promtool does find what the renderer this replaced wrote: a counter not ending in _total.
    const bad = await execa("promtool", ["check", "metrics"], { input: "# HELP binfleet_builds Builds.\n# TYPE binfleet_builds counter\nbinfleet_builds 1\n", reject: false });
    assert.notEqual(bad.exitCode, 0);
  });
});
