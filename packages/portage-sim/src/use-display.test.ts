import assert from "node:assert/strict";
import { test } from "node:test";
import { alnumCompare, useString } from "./use-display.js";

const conf = { useExpand: ["PYTHON_TARGETS"], useExpandHidden: ["ELIBC"], allFlags: true };

test("a new package shows every flag, USE_EXPAND flags in their own group", () => {
  const s = useString({ iuse: ["doc", "python_targets_python3_12", "python_targets_python3_13"], use: new Set(["python_targets_python3_12"]), old: null, forced: new Set() }, conf);
  assert.equal(s, 'USE="-doc" PYTHON_TARGETS="python3_12 -python3_13" ');
});

test("changed flags get *, flags new to IUSE %, and without --verbose only those show", () => {
  const pkg = { iuse: ["ssl", "static-libs", "bar"], use: new Set(["ssl", "bar"]), old: { iuse: ["ssl", "static-libs"], use: new Set<string>() }, forced: new Set<string>() };
  assert.equal(useString(pkg, conf), 'USE="bar%* ssl* -static-libs" ');
  assert.equal(useString(pkg, { ...conf, allFlags: false }), 'USE="bar%* ssl*" ');
});

test("flags gone from IUSE are listed last in parentheses; forced flags in parentheses", () => {
  const s = useString({ iuse: ["a"], use: new Set(["a"]), old: { iuse: ["a", "gone"], use: new Set(["a", "gone"]) }, forced: new Set(["a"]) }, conf);
  assert.equal(s, 'USE="(a) (-gone%*)" ');
});

test("digit runs sort as numbers", () => {
  assert.deepEqual(["python3_12", "python3_9", "python3_10"].sort(alnumCompare), ["python3_9", "python3_10", "python3_12"]);
});
