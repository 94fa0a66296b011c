import assert from "node:assert/strict";
import { test } from "node:test";
import { type Stanza, field, parsePackagesIndex } from "@binfleet/shared";
import { variantKey } from "../planning/build-planner.js";
import { planGarbage, prunedIndex } from "./binhost-gc.js";

const index = parsePackagesIndex(
  [
    "ARCH: amd64\nBINPKG_FORMAT: gpkg\nPACKAGES: 4\nTIMESTAMP: 1700000000\nVERSION: 0\n",
    "BUILD_ID: 1\nCPV: app-misc/a-1\nIUSE: ssl\nPATH: app-misc/a/a-1-1.gpkg.tar\nSIZE: 100\nUSE: amd64 ssl\n",
    "BUILD_ID: 1\nCPV: app-misc/a-2\nIUSE: ssl\nPATH: app-misc/a/a-2-1.gpkg.tar\nSIZE: 200\nUSE: amd64\n",
    "BUILD_ID: 2\nCPV: app-misc/a-2\nIUSE: ssl\nPATH: app-misc/a/a-2-2.gpkg.tar\nSIZE: 300\nUSE: amd64 ssl\n",
    "BUILD_ID: 1\nCPV: app-misc/b-1\nIUSE: \nPATH: app-misc/b/b-1-1.gpkg.tar\nSIZE: 50\nUSE: amd64\n",
    "",
  ].join("\n"),
);
const paths = (s: readonly Stanza[]): string[] => s.map((x) => field(x, "PATH")!);

test("keeps the newest version of each package and whatever a node needs; removes the rest", () => {
  const none = planGarbage(index, "pk", new Set(), 1);
  assert.deepEqual(none.remove.map((r) => r.path), ["app-misc/a/a-1-1.gpkg.tar"]);
  assert.deepEqual(paths(none.keep), ["app-misc/a/a-2-1.gpkg.tar", "app-misc/a/a-2-2.gpkg.tar", "app-misc/b/b-1-1.gpkg.tar"]);
  const needed = planGarbage(index, "pk", new Set([variantKey({ platformKey: "pk", cpv: "app-misc/a-1", use: ["ssl"] })]), 1);
  assert.deepEqual(needed.remove, [], "a node still has a-1 with ssl");
  const other = planGarbage(index, "pk", new Set([variantKey({ platformKey: "pk", cpv: "app-misc/a-1", use: [] })]), 1);
  assert.equal(other.remove.length, 1, "a node with a-1 without ssl does not need the ssl binary");
  assert.equal(planGarbage(index, "pk", new Set(), 2).remove.length, 0, "keep 2 versions");
});

test("the pruned index counts its packages and is stamped anew", () => {
  const plan = planGarbage(index, "pk", new Set(), 1);
  const pruned = prunedIndex(index, plan.keep, new Date("2026-11-25T00:00:00Z"));
  assert.equal(field(pruned.header, "PACKAGES"), "3");
  assert.equal(field(pruned.header, "TIMESTAMP"), String(Date.UTC(2026, 10, 25) / 1000));
  assert.equal(pruned.packages.length, 3);
});

test("a pruned index written in the second of the one it replaces still gets a later TIMESTAMP", () => {
  const plan = planGarbage(index, "pk", new Set(), 1);
  // The index was written at 1700000000 (a build); gc rewrites it within that second.
  assert.equal(field(prunedIndex(index, plan.keep, new Date(1_700_000_000_400)).header, "TIMESTAMP"), "1700000001");
  // A clock set back does not move it backwards either.
  assert.equal(field(prunedIndex(index, plan.keep, new Date(1_600_000_000_000)).header, "TIMESTAMP"), "1700000001");
});
