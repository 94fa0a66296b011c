import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PortageFormatError } from "../errors.js";
import { PackageSet } from "./package-set.js";

describe("PackageSet", () => {
  test("indexes by category/package; a SLOT without sub-slot is its own sub-slot", () => {
    const s = PackageSet.of([{ cpv: "dev-libs/a-1", slot: "0" }, { cpv: "dev-libs/a-2", slot: "2/2.1" }, { cpv: "dev-libs/b-1", slot: "0" }]);
    assert.deepEqual(s.forCp("dev-libs/a").map((e) => [e.cpv.cpv, e.slot, e.subslot]), [["dev-libs/a-1", "0", "0"], ["dev-libs/a-2", "2", "2.1"]]);
    assert.deepEqual(s.forCp("dev-libs/c"), []);
    assert.ok(s.has("dev-libs/a-1") && !s.has("dev-libs/a-1-r0"));
  });

  test("an exact repeat is one entry; the same cpv in two SLOTs is an error", () => {
    assert.equal(PackageSet.of([{ cpv: "a/b-1", slot: "0" }, { cpv: "a/b-1", slot: "0/0" }]).forCp("a/b").length, 1);
    assert.throws(() => PackageSet.of([{ cpv: "a/b-1", slot: "0" }, { cpv: "a/b-1", slot: "1" }]), /listed twice with different SLOTs/);
  });

  test("bad cpvs and SLOTs are PortageFormatErrors", () => {
    for (const p of [{ cpv: "a/b", slot: "0" }, { cpv: "b-1", slot: "0" }, { cpv: "a/b-1", slot: "" }, { cpv: "a/b-1", slot: "0/" }, { cpv: "a/b-1", slot: "a b" }]) {
      assert.throws(() => PackageSet.of([p]), PortageFormatError, JSON.stringify(p));
    }
  });
});
