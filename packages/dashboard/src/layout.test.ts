import assert from "node:assert/strict";
import { test } from "node:test";
import { paginate, pager } from "./layout.js";

const rows = Array.from({ length: 250 }, (_, i) => i);

test("a page of rows, clamped to the pages there are", () => {
  assert.deepEqual(paginate(rows, "2", 100).items, rows.slice(100, 200));
  assert.equal(paginate(rows, "99", 100).page, 3);
  assert.equal(paginate(rows, "99", 100).items.length, 50);
  for (const bad of ["0", "-4", "x", null]) assert.equal(paginate(rows, bad, 100).page, 1);
  assert.equal(paginate([], null, 100).pages, 1);
});

test("the pager keeps the other parameters and escapes them", () => {
  const p = paginate(rows, "2", 100);
  const text = pager(p, "/ui/", new URLSearchParams({ state: '"><b>', page: "2" }))!.text;
  assert.match(text, /href="\/ui\/\?state=%22%3E%3Cb%3E&amp;page=1">← previous/);
  assert.match(text, /page=3">next →/);
  assert.equal(pager(paginate(rows.slice(0, 5), null, 100), "/ui/", new URLSearchParams()), null);
});
