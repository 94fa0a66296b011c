import assert from "node:assert/strict";
import { test } from "node:test";
import { agentFootprint } from "./agent-footprint.js";
import { binhostServe } from "./binhost-serve.js";
import { commandFanout } from "./command-fanout.js";
import { dashboardFirstView } from "./dashboard-first-view.js";
import { economy } from "./economy.js";
import { ingest } from "./fleet-bus.js";
import { planner } from "./planner.js";
import { portageFormats } from "./portage-formats.js";
import { FIGURE_ID, selection } from "./selection.js";

const groups = [portageFormats, planner, commandFanout, ingest, agentFootprint, binhostServe, economy, dashboardFirstView];

test("every figure id is dotted lowercase and unique, and the issue's ids are all there", () => {
  const ids = groups.flatMap((g) => g.ids);
  for (const id of ids) assert.match(id, FIGURE_ID);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ["formats.packages", "formats.atom", "formats.vercmp", "plan.full", "plan.incremental", "fanout", "ingest", "agent.rss", "agent.report", "economy", "economy.makespan", "binhost.serve", "dashboard.first-view"]) assert.ok(ids.includes(id), id);
});

test("--only picks the groups that measure the asked figures", () => {
  const want = selection(["--only", "agent.report,plan.full"]);
  assert.deepEqual(
    groups.filter((g) => g.ids.some(want)).map((g) => g.ids[0]),
    ["plan.full", "agent.rss"],
  );
});
