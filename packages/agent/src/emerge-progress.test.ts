import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEmergeStep } from "./emerge-progress.js";

test("emerge progress lines", () => {
  assert.deepEqual(parseEmergeStep(">>> Emerging binary (1 of 1) app-misc/newtool-1.0::gentoo"), { index: 1, total: 1, cpv: "app-misc/newtool-1.0", binary: true });
  assert.deepEqual(parseEmergeStep(">>> Emerging (2 of 3) dev-libs/libdemo-1.0::gentoo"), { index: 2, total: 3, cpv: "dev-libs/libdemo-1.0", binary: false });
  assert.equal(parseEmergeStep(">>> Installing (1 of 3) app-misc/rcpkg-2.0_rc1-r1::gentoo"), null);
  assert.equal(parseEmergeStep("garbage"), null);
});
