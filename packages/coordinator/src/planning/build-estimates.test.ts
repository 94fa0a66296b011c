import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BuildEstimates } from "./build-estimates.js";
import type { BuildRecord } from "../builders/builder-worker.js";

const built = (cpv: string, seconds: number, o: Partial<BuildRecord> = {}): BuildRecord => ({
  key: `amd64-0123456789ab|${cpv}|ssl`,
  state: "succeeded",
  builder: "b#0",
  attempt: 1,
  startedAt: 1_000_000,
  renewedAt: 1_000_000,
  finishedAt: 1_000_000 + seconds * 1000,
  error: "",
  logTail: [">>> Completed installing"],
  ...o,
});

describe("BuildEstimates", () => {
  test("a package is estimated from its own earlier builds, any version: the median of the last five", () => {
    const e = new BuildEstimates();
    for (const [v, s] of [["1.0", 100], ["1.1", 900], ["1.2", 120], ["1.3", 110], ["1.4", 130], ["1.5", 115]] as const) e.observe(built(`sys-devel/gcc-${v}`, s));
    // 100 dropped (oldest); median of 900, 120, 110, 130, 115.
    assert.equal(e.estimate("sys-devel/gcc-14.2.1_p20250301"), 120);
  });

  test("a package never built is the median of those that were; with no history at all, a minute", () => {
    const e = new BuildEstimates();
    assert.equal(e.estimate("dev-libs/a-1"), 60);
    e.observe(built("dev-libs/b-1", 10));
    e.observe(built("dev-libs/c-1", 30));
    e.observe(built("dev-libs/d-1", 1000));
    assert.equal(e.estimate("dev-libs/a-1"), 30);
  });

  test("records that are no build say nothing: failed, already on the binhost (no log), or zero time", () => {
    const e = new BuildEstimates();
    e.observe(built("dev-libs/b-1", 500, { state: "failed" }));
    e.observe(built("dev-libs/b-1", 500, { logTail: [] }));
    e.observe(built("dev-libs/b-1", 0));
    e.observe({ ...built("dev-libs/b-1", 5), key: "garbage" });
    assert.equal(e.estimate("dev-libs/b-1"), 60);
  });
});
