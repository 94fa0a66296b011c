import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeTable } from "./variant-shapes.js";

test("a (cpv, USE) pair is made once, held by platforms, and dropped when none holds it; its id is reused", () => {
  const t = new ShapeTable();
  const a = t.intern("c/p-1", ["x", "y"]);
  assert.equal(t.intern("c/p-1", ["x", "y"]), a, "equal flags in another array: the same pair");
  const b = t.intern("c/p-1", ["x"]);
  assert.notEqual(b, a);
  assert.notEqual(b.id, a.id);
  assert.equal(a.tail, "c/p-1|x,y");
  assert.equal(t.find("c/p-1|x"), b);
  assert.equal(t.find("c/p-1|z"), undefined);
  t.hold(a);
  t.hold(a);
  t.hold(b);
  t.release(a);
  assert.equal(t.find("c/p-1|x,y"), a, "another platform still holds it");
  t.release(a);
  assert.equal(t.find("c/p-1|x,y"), undefined);
  assert.equal(t.inTailOrder().length, 1, "the table does not keep pairs nobody holds");
  const again = t.intern("c/p-1", ["x", "y"]);
  assert.notEqual(again, a, "made afresh");
  assert.equal(again.id, a.id, "with the dropped pair's id");
  assert.equal(again.platforms, 0);
  t.release(b);
  assert.equal(t.find("c/p-1|x"), undefined);
});

test("pairs in tail order follow pairs made and dropped after the order was first read", () => {
  const t = new ShapeTable();
  const tails = (): string[] => t.inTailOrder().map((s) => s.tail);
  const b = t.intern("c/p-1.2", []);
  t.hold(b);
  const a = t.intern("c/p-1", ["x"]);
  t.hold(a);
  // '|' sorts after '.': the key order, not the cpv order.
  assert.deepEqual(tails(), ["c/p-1.2|", "c/p-1|x"]);
  t.hold(t.intern("a/z-1", []));
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1.2|", "c/p-1|x"]);
  t.release(b);
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1|x"]);
  t.hold(a);
  assert.deepEqual(tails(), ["a/z-1|", "c/p-1|x"], "another platform holding a known pair changes nothing");
});
