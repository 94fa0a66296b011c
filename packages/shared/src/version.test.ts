import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PortageFormatError } from "./errors.js";
import { compareVersions, formatVersion, isValidVersion, parseVersion, vercmp } from "./version.js";

// Pairs from Portage's own vercmp tests (lib/portage/tests/versions/test_vercmp.py) and PMS §3.3.
const GREATER: [string, string][] = [
  ["6.0", "5.0"],
  ["5.0", "5"],
  ["1.0-r1", "1.0-r0"],
  ["1.0-r1", "1.0"],
  ["999999999999999999999999999999", "999999999999999999999999999998"],
  ["1.0.0", "1.0"],
  ["1.0.0", "1.0b"],
  ["1b", "1"],
  ["1b_p1", "1_p1"],
  ["1.1b", "1.1"],
  ["12.2.5", "12.2b"],
  ["1.1", "1.01"],
  ["1.0_p1", "1.0"],
  ["1.0_p0", "1.0"],
  ["1.0", "1.0_rc99"],
  ["1.0_rc1", "1.0_pre9"],
  ["1.0_pre1", "1.0_beta9"],
  ["1.0_beta1", "1.0_alpha9"],
  ["1.0_alpha1", "1.0_alpha"],
  ["1.0_alpha_p1", "1.0_alpha"],
  ["1.0_alpha", "1.0_alpha_beta"],
  ["1.0-r10", "1.0-r9"],
  ["2.0_rc1-r1", "2.0_rc1"],
  ["1.1999999999999999999999999", "1.2"],
];
const EQUAL: [string, string][] = [
  ["4.0", "4.0"],
  ["1.0-r0", "1.0"],
  ["1.0", "1.0-r0"],
  ["1.0-r1", "1.0-r01"],
  ["1.0", "1.00"],
  ["1.01", "1.010"],
  ["01.0", "1.0"],
  ["1.0_p", "1.0_p0"],
  ["1_alpha", "1_alpha0"],
];

describe("vercmp", () => {
  test("orders the Portage test pairs", () => {
    for (const [a, b] of GREATER) {
      assert.equal(vercmp(a, b), 1, `${a} > ${b}`);
      assert.equal(vercmp(b, a), -1, `${b} < ${a}`);
    }
  });

  test("treats equivalent spellings as equal", () => {
    for (const [a, b] of EQUAL) assert.equal(vercmp(a, b), 0, `${a} == ${b}`);
  });

  test("refuses invalid versions instead of guessing", () => {
    for (const bad of ["", "a", "1.", ".1", "1..2", "1-r", "1_rc-1", "1_foo", "1ab", "1.0-r1-r2", "1A", "v1", "1_p1_", " 1", "1.0 ", "-1", "1-1"]) {
      assert.equal(isValidVersion(bad), false, bad);
      assert.throws(() => vercmp(bad, "1"), PortageFormatError, bad);
    }
  });

  test("formatVersion(parseVersion(v)) === v", () => {
    for (const v of ["1", "1.02b_rc3_p1-r2", "0.0.0a_alpha_beta0-r0", "2023.01.01_p20230101", "1-r007"]) {
      assert.equal(formatVersion(parseVersion(v)), v);
    }
  });

  test("is a total order on a random sample (antisymmetric, transitive, consistent equality)", () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ["0", "1", "01", "10", "2", "001", "100"];
    const sample: string[] = [];
    for (let i = 0; i < 300; i++) {
      let v = pieces[rnd(pieces.length)]!;
      for (let k = rnd(3); k > 0; k--) v += `.${pieces[rnd(pieces.length)]}`;
      if (rnd(4) === 0) v += "abz"[rnd(3)];
      for (let k = rnd(3); k > 0; k--) v += `_${["alpha", "beta", "pre", "rc", "p"][rnd(5)]}${rnd(2) === 0 ? "" : rnd(12)}`;
      if (rnd(3) === 0) v += `-r${rnd(3)}`;
      sample.push(v);
    }
    const parsed = sample.map(parseVersion);
    for (const a of parsed) {
      assert.equal(compareVersions(a, a), 0);
      for (const b of parsed) {
        assert.equal(compareVersions(a, b), -compareVersions(b, a) || 0, `${a.raw} vs ${b.raw}`);
      }
    }
    // Sorting must give a chain where every adjacent pair is <=, and <= must be transitive.
    const sorted = [...parsed].sort(compareVersions);
    for (let i = 1; i < sorted.length; i++) assert.ok(compareVersions(sorted[i - 1]!, sorted[i]!) <= 0);
    for (let i = 0; i < sorted.length; i += 7) {
      for (let j = i; j < sorted.length; j += 11) assert.ok(compareVersions(sorted[i]!, sorted[j]!) <= 0, `${sorted[i]!.raw} <= ${sorted[j]!.raw}`);
    }
  });
});
