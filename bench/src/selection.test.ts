import assert from "node:assert/strict";
import { test } from "node:test";
import { BenchArgumentError, selection, wantsAny } from "./selection.js";

test("without --only every figure is wanted", () => {
  const want = selection(["--json"]);
  assert.equal(want("plan.full"), true);
  assert.equal(want("binhost.serve"), true);
});

test("--only takes id prefixes on dotted boundaries", () => {
  const want = selection(["--only", "plan,formats.packages", "--json"]);
  assert.equal(want("plan.full"), true);
  assert.equal(want("plan.incremental"), true);
  assert.equal(want("formats.packages"), true);
  assert.equal(want("formats.packages.write"), true);
  assert.equal(want("formats.atom"), false);
  assert.equal(want("planner"), false);
  assert.equal(wantsAny(want, ["fanout", "fanout.durable"]), false);
  assert.equal(wantsAny(want, ["ingest", "plan.full"]), true);
});

test("--only=… and repeated --only add up", () => {
  const want = selection(["--only=agent.rss", "--only", "fanout"]);
  assert.equal(want("agent.rss"), true);
  assert.equal(want("agent.report"), false);
  assert.equal(want("fanout.durable"), true);
});

test("a missing or malformed --only is a clear error", () => {
  assert.throws(() => selection(["--only"]), BenchArgumentError);
  assert.throws(() => selection(["--only", "Plan Full"]), /not a figure id/);
  assert.throws(() => selection(["--only", "plan,,fanout"]), BenchArgumentError);
});
