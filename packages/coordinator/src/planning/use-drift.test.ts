import assert from "node:assert/strict";
import { test } from "node:test";
import { UseDriftAnalyzer } from "./use-drift.js";

test("deviations from the most common USE cost one variant per version and name their nodes", () => {
  const d = new UseDriftAnalyzer();
  const pkg = (cpv: string, use: string[]) => ({ cpv, use: [...use, "amd64", "elibc_glibc"], iuse: ["ssl", "+zstd", "X"] });
  d.add("n1", [pkg("app-misc/a-1", ["ssl", "zstd"]), pkg("app-misc/b-2", ["zstd"])]);
  d.add("n2", [pkg("app-misc/a-1", ["ssl", "zstd"]), pkg("app-misc/b-2", ["zstd"])]);
  d.add("n3", [pkg("app-misc/a-1", ["ssl", "zstd", "X"]), pkg("app-misc/b-2", ["zstd"])]);
  d.add("n4", [pkg("app-misc/a-2", ["ssl"]), pkg("app-misc/a-1", ["ssl", "zstd", "X"])]);
  d.add("n5", [pkg("app-misc/a-1", ["ssl", "zstd"])]);
  assert.deepEqual(d.result(), [{ cp: "app-misc/a", flags: ["+X"], nodeCount: 2, extraVariants: 1 }]);
});

test("flags outside IUSE (arch, ELIBC) never count as drift", () => {
  const d = new UseDriftAnalyzer();
  d.add("n1", [{ cpv: "app-misc/a-1", use: ["amd64"], iuse: [] }]);
  d.add("n2", [{ cpv: "app-misc/a-1", use: ["x86"], iuse: [] }]);
  assert.deepEqual(d.result(), []);
});
