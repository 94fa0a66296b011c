import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type PackageRef, atomMatches, formatAtom, parseAtom, tryParseAtom } from "./atom.js";
import { parseCpv } from "./cpv.js";
import { PortageFormatError } from "./errors.js";

const VALID: [string, Partial<Record<string, unknown>>][] = [
  ["sys-apps/portage", { operator: null, version: null, cp: "sys-apps/portage" }],
  [">=sys-apps/portage-2.1", { operator: ">=", version: "2.1" }],
  ["=sys-apps/portage-2.1-r1:0[doc,a=,!b=,c?,!d?,-e]", { operator: "=", version: "2.1-r1", slot: "0" }],
  ["=sys-apps/portage-2.1*", { operator: "=*", version: "2.1" }],
  ["~sys-apps/portage-2.1", { operator: "~" }],
  ["<sys-apps/portage-2.1", { operator: "<" }],
  ["<=sys-apps/portage-2.1", { operator: "<=" }],
  [">sys-apps/portage-2.1", { operator: ">" }],
  ["!sys-apps/portage", { blocker: "weak" }],
  ["!!>=sys-apps/portage-2.1", { blocker: "strong", operator: ">=" }],
  ["dev-libs/libdemo:0/1=", { slot: "0", subslot: "1", slotOperator: "=" }],
  ["dev-libs/libdemo:2=", { slot: "2", subslot: null, slotOperator: "=" }],
  ["dev-libs/libdemo:=", { slot: null, slotOperator: "=" }],
  ["dev-libs/libdemo:*", { slot: null, slotOperator: "*" }],
  ["dev-libs/libdemo:2/2.0", { slot: "2", subslot: "2.0", slotOperator: null }],
  ["dev-libs/libdemo::gentoo", { repo: "gentoo" }],
  ["dev-libs/libdemo:0::gentoo[ssl(+),!static-libs(-)?]", { slot: "0", repo: "gentoo" }],
  ["=app-misc/hello-1.1-1", { version: "1.1", buildId: 1, cp: "app-misc/hello" }],
  ["=app-misc/hello-1.1-r2-10", { version: "1.1-r2", buildId: 10 }],
  ["x11-libs/gtk+:3", { package: "gtk+", slot: "3" }],
  ["dev-libs/foo-1bar", { package: "foo-1bar" }],
  ["virtual/foo[bar,baz]", { useDeps: ["bar", "baz"] }],
  ["dev-lang/python:3.12", { slot: "3.12" }],
];

const INVALID = [
  "",
  "sys-apps",
  "portage",
  "sys-apps/portage-2.1", // version without operator
  "=sys-apps/portage", // operator without version
  ">=sys-apps/portage-2.1*", // wildcard only with =
  "~sys-apps/portage-2.1*",
  "sys-apps/portage:",
  "sys-apps/portage::",
  "sys-apps/portage:0*", // slot with :* operator
  "sys-apps/portage::repo:0",
  "sys-apps/portage[]",
  "sys-apps/portage[doc,]",
  "sys-apps/portage[-doc?]",
  "sys-apps/portage[!doc]",
  "sys-apps/portage[doc]]",
  "sys-apps/portage[doc(+),doc(-)]",
  "sys-apps/portage[doc,doc(+)]",
  "sys-apps/portage[ doc]",
  "!!!sys-apps/portage",
  "=sys-apps/portage-2.1-01", // build id with a leading zero
  "=sys-apps/portage-2.1-1.5",
  "=sys-apps/portage-2.1-1*",
  "-sys-apps/portage",
  "sys-apps/-portage",
  "sys-apps/portage/extra",
  ">=sys-apps/portage-2.1-r1-r2",
  "sys-apps/portage-1.0:0",
];

describe("parseAtom", () => {
  test("accepts what Portage accepts, with the right parts", () => {
    for (const [text, want] of VALID) {
      const atom = parseAtom(text);
      assert.equal(atom.raw, text);
      for (const [k, v] of Object.entries(want)) {
        const got = k === "useDeps" ? atom.useDeps.map((u) => u.raw) : (atom as unknown as Record<string, unknown>)[k];
        assert.deepEqual(got, v, `${text}: ${k}`);
      }
    }
  });

  test("parse(format(x)) = x for every valid atom", () => {
    for (const [text] of VALID) {
      const a = parseAtom(text);
      assert.equal(formatAtom(a), text);
      assert.deepEqual(parseAtom(formatAtom(a)), a);
    }
  });

  test("refuses what Portage refuses, with a reason", () => {
    for (const text of INVALID) {
      assert.throws(() => parseAtom(text), (err: unknown) => err instanceof PortageFormatError && err.kind === "atom" && err.message.includes("invalid atom"), text);
      assert.equal(tryParseAtom(text), null);
    }
  });

  test("USE dependency kinds and defaults", () => {
    const a = parseAtom("a/b[x,-y,z?,!w?,v=,!u=,t(+),s(-)?]");
    assert.deepEqual(
      a.useDeps.map((u) => [u.flag, u.kind, u.missing]),
      [
        ["x", "enabled", null],
        ["y", "disabled", null],
        ["z", "if", null],
        ["w", "ifNot", null],
        ["v", "equal", null],
        ["u", "notEqual", null],
        ["t", "enabled", "enabled"],
        ["s", "if", "disabled"],
      ],
    );
  });

  test("follows Portage 3.0.82 where its patterns are stricter or its fields differ", () => {
    // Names and slots start with a word character; a sub-slot needs a slot.
    for (const text of ["+cat/pkg", "cat/+pkg", "cat/pkg:+0", "cat/pkg:0/+1", "cat/pkg:/1", "cat/pkg:0=/1"]) assert.equal(tryParseAtom(text), null, text);
    // The shortest package name wins; what follows its first version is the build id.
    const a = parseAtom("=a/foo-1-2-3");
    assert.deepEqual([a.cp, a.version, a.buildId], ["a/foo-1", "2", 3]);
  });

  test("hostile input is refused cheaply", () => {
    const huge = `dev-libs/${"a".repeat(100_000)}-${"1.".repeat(20_000)}`;
    assert.throws(() => parseAtom(huge), PortageFormatError);
    assert.throws(() => parseAtom("dev-libs/foo\n>=dev-libs/bar-1"), PortageFormatError);
    assert.throws(() => parseAtom("dev-libs/foo\u0000"), PortageFormatError);
  });
});

describe("atomMatches", () => {
  const pkg = (cpv: string, extra: Partial<PackageRef> = {}): PackageRef => ({ cpv: parseCpv(cpv), ...extra });

  test("version operators", () => {
    const p = pkg("dev-libs/libdemo-1.0-r1");
    const yes = [">=dev-libs/libdemo-1.0", ">dev-libs/libdemo-1.0", "~dev-libs/libdemo-1.0", "=dev-libs/libdemo-1.0-r1", "<dev-libs/libdemo-1.1", "<=dev-libs/libdemo-1.0-r1", "=dev-libs/libdemo-1*", "=dev-libs/libdemo-1.0*", "dev-libs/libdemo"];
    const no = ["<dev-libs/libdemo-1.0", "=dev-libs/libdemo-1.0", ">dev-libs/libdemo-1.0-r1", "~dev-libs/libdemo-1.1", "dev-libs/other", "=dev-libs/libdemo-1.0.1*"];
    for (const a of yes) assert.ok(atomMatches(parseAtom(a), p), a);
    for (const a of no) assert.ok(!atomMatches(parseAtom(a), p), a);
  });

  test("=* matches at version-part boundaries only", () => {
    assert.ok(atomMatches(parseAtom("=a/b-1*"), pkg("a/b-1.5")));
    assert.ok(!atomMatches(parseAtom("=a/b-1*"), pkg("a/b-10")));
    assert.ok(atomMatches(parseAtom("=a/b-1.2*"), pkg("a/b-1.2_rc1")));
    // A prefix ending in a letter or suffix name still stops at "." "_" "-" (real Portage: 1.2a* matches these).
    for (const v of ["1.2a", "1.2a_p1", "1.2a-r1"]) assert.ok(atomMatches(parseAtom("=a/b-1.2a*"), pkg(`a/b-${v}`)), v);
    assert.ok(!atomMatches(parseAtom("=a/b-1.2_p*"), pkg("a/b-1.2_pre1")));
  });

  test("~ compares the version text without revision, as Portage does (~1.0 is not 1.00)", () => {
    assert.ok(atomMatches(parseAtom("~a/b-1.00"), pkg("a/b-1.00-r1")));
    assert.ok(!atomMatches(parseAtom("~a/b-1.0"), pkg("a/b-1.00-r1")));
    assert.ok(!atomMatches(parseAtom("~a/b-1.00"), pkg("a/b-1.0")));
  });

  test("slot, sub-slot, repo and build id", () => {
    const p = pkg("dev-libs/libdemo-2.0", { slot: "2", subslot: "2.0", repo: "gentoo", buildId: 3 });
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo:2"), p));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo:2/2.0::gentoo"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo:0"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo:2/2.1"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo::other"), p));
    assert.ok(atomMatches(parseAtom("=dev-libs/libdemo-2.0-3"), p));
    assert.ok(!atomMatches(parseAtom("=dev-libs/libdemo-2.0-4"), p));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo:0"), pkg("dev-libs/libdemo-1.0")), "SLOT defaults to 0");
  });

  test("USE dependencies, defaults and conditionals", () => {
    const p = pkg("dev-libs/libdemo-1.0", { use: new Set(["ssl"]), iuse: new Set(["ssl", "static-libs"]) });
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[ssl,-static-libs]"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[static-libs]"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[gnutls]"), p), "missing flag without default");
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[gnutls(-)?,-zstd(-)]"), p));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[zstd(-)]"), p));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[zstd(+)]"), p));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[static-libs?]"), p), "conditional ignored without parent USE");
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[static-libs?]"), p, { parentUse: new Set(["static-libs"]) }));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[ssl=]"), p, { parentUse: new Set(["ssl"]) }));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[ssl=]"), p, { parentUse: new Set() }));
    assert.ok(atomMatches(parseAtom("dev-libs/libdemo[!ssl=]"), p, { parentUse: new Set() }));
    assert.ok(!atomMatches(parseAtom("dev-libs/libdemo[!ssl?]"), p, { parentUse: new Set() }));
  });
});
