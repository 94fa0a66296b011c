import assert from "node:assert/strict";
import { test } from "node:test";
import { NodeRegistry } from "../ingest/node-registry.js";
import { BuildPlanner } from "../planning/build-planner.js";
import { renderMetrics } from "./metrics.js";

test("advisories: nodes exposed per advisory and severity, and exposures per severity; unexposing advisories are left out", () => {
  const text = renderMetrics(new NodeRegistry(60_000), { planner: new BuildPlanner(), plan: () => [] }, { builds: 0, buildSeconds: 0, installedBinary: 0, compiledLocally: 0 }, [
    { id: "202611-01", severity: "high", nodes: 3 },
    { id: "202611-02", severity: "high", nodes: 2 },
    { id: "202611-03", severity: "low", nodes: 0 },
    { id: "202611-04", severity: 'we"ird\\', nodes: 1 },
  ]);
  const lines = text.split("\n").filter((l) => l.startsWith("binfleet_glsa_"));
  assert.deepEqual(lines, [
    'binfleet_glsa_exposed_nodes{glsa="202611-01",severity="high"} 3',
    'binfleet_glsa_exposed_nodes{glsa="202611-02",severity="high"} 2',
    'binfleet_glsa_exposed_nodes{glsa="202611-04",severity="we\\"ird\\\\"} 1',
    'binfleet_glsa_exposures{severity="high"} 5',
    'binfleet_glsa_exposures{severity="we\\"ird\\\\"} 1',
  ]);
  assert.match(text, /# TYPE binfleet_glsa_exposed_nodes gauge\n/);
});
