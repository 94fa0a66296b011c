import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CompileClaims } from "./compile-claims.js";

describe("CompileClaims", () => {
  test("a build whose compile list meets another root's waits; released, it may start", () => {
    const claims = new CompileClaims();
    const first = claims.take(["dev-libs/libxml2-2.13.5", "app-misc/x-1"]);
    assert.notEqual(first, null);
    assert.equal(claims.take(["dev-libs/libxml2-2.13.5", "app-misc/y-1"]), null, "shares a dependency being compiled");
    assert.notEqual(claims.take(["app-misc/z-1"]), null, "nothing in common: starts at once");
    first!();
    assert.notEqual(claims.take(["dev-libs/libxml2-2.13.5", "app-misc/y-1"]), null);
  });

  test("a refused claim takes nothing", () => {
    const claims = new CompileClaims();
    claims.take(["a/b-1"]);
    assert.equal(claims.take(["c/d-1", "a/b-1"]), null);
    assert.notEqual(claims.take(["c/d-1"]), null, "c/d-1 was not left claimed");
  });
});
