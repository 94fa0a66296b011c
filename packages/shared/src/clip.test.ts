import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clip } from "./clip.js";

describe("clip", () => {
  test("short text is kept as it is", () => {
    assert.equal(clip("dev-libs/openssl"), "dev-libs/openssl");
    assert.equal(clip("x".repeat(200)), "x".repeat(200));
  });

  test("long text is cut and says how long it was", () => {
    assert.equal(clip("x".repeat(201)), `${"x".repeat(200)}…(201 chars)`);
    assert.equal(clip("abcdef", 3), "abc…(6 chars)");
  });

  test("control characters cannot start a line of their own", () => {
    assert.equal(clip("GET /x\r\nforged: line\u0000\u001b[31m"), "GET /x\\x0d\\x0aforged: line\\x00\\x1b[31m");
    assert.equal(clip("a\u2028b\u0085c"), "a\\u2028b\\x85c");
    assert.doesNotMatch(clip("\n".repeat(10_000)), /\n/);
  });

  test("a cut never splits a surrogate pair", () => {
    const text = `${"a".repeat(9)}😀tail`;
    assert.equal(clip(text, 10), `${"a".repeat(9)}…(${text.length} chars)`);
    assert.equal(clip(text, 11), `${"a".repeat(9)}😀…(${text.length} chars)`);
  });
});
