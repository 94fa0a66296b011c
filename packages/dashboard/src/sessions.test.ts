import assert from "node:assert/strict";
import { test } from "node:test";
import { Sessions, csrfMatches } from "./sessions.js";

const viewer = { name: "v", role: "viewer" as const };

test("a session lives until it expires, then is gone", () => {
  let now = 1000;
  const s = new Sessions({ ttlMs: 100, max: 10, now: () => now });
  const a = s.create("tok", viewer);
  assert.equal(s.get(a.id)?.token, "tok");
  assert.equal(s.get("other"), null);
  now = 1100;
  assert.equal(s.get(a.id), null);
});

test("past the cap the oldest sessions go first; ids and CSRF tokens are distinct secrets", () => {
  const s = new Sessions({ ttlMs: 1e9, max: 2 });
  const [a, b, c] = [s.create("1", viewer), s.create("2", viewer), s.create("3", viewer)];
  assert.equal(s.get(a.id), null);
  assert.ok(s.get(b.id) !== null && s.get(c.id) !== null);
  assert.notEqual(b.id, c.id);
  assert.notEqual(b.csrf, b.id);
  assert.ok(b.id.length >= 43);
});

test("only the session's own CSRF token matches", () => {
  const s = new Sessions({ ttlMs: 1e9, max: 2 });
  const a = s.create("1", viewer);
  const b = s.create("2", viewer);
  assert.ok(csrfMatches(a, a.csrf));
  assert.ok(!csrfMatches(a, b.csrf));
  assert.ok(!csrfMatches(a, undefined));
  assert.ok(!csrfMatches(a, ""));
});
