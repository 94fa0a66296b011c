import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeTable } from "./variant-shapes.js";

test("a (cpv, USE) pair is made once, shared by platforms, and forgotten when no platform has it", () => {
  const t = new ShapeTable<string>();
  const a = t.intern("c/p-1", ["x", "y"]);
  assert.equal(t.intern("c/p-1", ["x", "y"]), a, "equal flags in another array: the same pair");
  const b = t.intern("c/p-1", ["x"]);
  assert.notEqual(b, a);
  assert.equal(a.tail, "c/p-1|x,y");
  assert.equal(t.find("c/p-1|x"), b);
  assert.equal(t.find("c/p-1|z"), undefined);
  t.set(a, 0, "a on 0");
  t.set(a, 3, "a on 3");
  t.set(b, 1, "b on 1");
  t.set(a, 0, undefined);
  assert.equal(t.find("c/p-1|x,y"), a, "platform 3 still has it");
  t.set(a, 3, undefined);
  t.set(a, 3, undefined);
  assert.equal(t.find("c/p-1|x,y"), undefined);
  assert.equal(t.size, 1);
  assert.notEqual(t.intern("c/p-1", ["x", "y"]), a, "made afresh, with no platform's variant");
  assert.deepEqual(t.intern("c/p-1", ["x", "y"]).byPlatform, []);
  t.set(b, 1, undefined);
  assert.equal(t.find("c/p-1|x"), undefined);
});

test("pairs in tail order follow pairs made and dropped after the order was first read", () => {
  const t = new ShapeTable<number>();
  const tails = (): string[] => t.inTailOrder().map((s) => s.tail);
  const b = t.intern("c/p-1.2", []);
  t.set(b, 0, 1);
  const a = t.intern("c/p-1", ["x"]);
  t.set(a, 0, 1);
  // '|' sorts after '.': the key order, not the cpv order.
  assert.deepEqual(tails(), ["c/p-1.2|", "c/p-1|x"]);
  const c = t.intern("a/z-1", []);
  t.set(c, 2, 1);
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1.2|", "c/p-1|x"]);
  t.set(b, 0, undefined);
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1|x"]);
  t.set(a, 1, 2);
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1|x"], "another platform's variant of a known pair changes nothing");
});
