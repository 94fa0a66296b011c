import assert from "node:assert/strict";
import { test } from "node:test";
import { closeMatches } from "./close-matches.js";

const names = ["app-misc/hello", "app-misc/newtool", "app-misc/demo-app", "app-misc/oldtool", "app-misc/hardtool", "app-misc/rcpkg", "dev-libs/libdemo"];

test("picks what Python's difflib.get_close_matches picks, best ratio first", () => {
  // difflib ratios: newtool 0.6486, demo-app 0.6316, hello 0.6286, oldtool 0.5946 (below the 0.6 cutoff).
  assert.deepEqual(closeMatches("app-misc/doesnotexist", names), ["app-misc/newtool", "app-misc/demo-app", "app-misc/hello"]);
});

test("equal ratios are ordered by name, last first, as heapq.nlargest leaves them", () => {
  // app-misc/unstable and app-misc/demo-app both score 0.631578… against the word.
  assert.deepEqual(closeMatches("app-misc/doesnotexist", ["app-misc/demo-app", "app-misc/unstable"], 3), ["app-misc/unstable", "app-misc/demo-app"]);
});

test("n and the cutoff bound the answer", () => {
  assert.deepEqual(closeMatches("hello", ["hallo", "help", "world"], 1), ["hallo"]);
  assert.deepEqual(closeMatches("hello", ["xyz"]), []);
});
