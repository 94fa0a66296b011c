import assert from "node:assert/strict";
import { test } from "node:test";
import { msUntil } from "./nightly-job.js";

test("msUntil: the next HH:MM in UTC, today or tomorrow", () => {
  assert.equal(msUntil("02:30", new Date("2026-11-25T01:30:00Z")), 3600_000);
  assert.equal(msUntil("02:30", new Date("2026-11-25T02:30:00Z")), 24 * 3600_000, "exactly now: tomorrow");
  assert.equal(msUntil("00:00", new Date("2026-12-31T23:59:00Z")), 60_000, "across the year");
});
