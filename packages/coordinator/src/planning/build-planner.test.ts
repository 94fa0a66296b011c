import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BuildPlanner, variantKey } from "./build-planner.js";

const want = (cpv: string, ...use: string[]) => ({ cpv, use });

describe("BuildPlanner", () => {
  test("deduplicates variants across nodes, keeps USE variants apart, orders dependencies first", () => {
    const p = new BuildPlanner();
    p.updateNode({ nodeId: "a", platformKey: "amd64-x", wants: [want("dev-libs/openssl-3.3.2", "asm"), want("net-misc/curl-8.10", "ssl")] });
    p.updateNode({ nodeId: "b", platformKey: "amd64-x", wants: [want("dev-libs/openssl-3.3.2", "asm"), want("net-misc/curl-8.10", "http2", "ssl")] });
    p.updateNode({ nodeId: "c", platformKey: "x86-y", wants: [want("dev-libs/openssl-3.3.2", "asm")] });
    const list = p.buildList("amd64-x");
    assert.deepEqual(list.map((i) => [i.variant.cpv, i.variant.use.join(" "), i.wantedBy.join(",")]), [
      ["dev-libs/openssl-3.3.2", "asm", "a,b"],
      ["net-misc/curl-8.10", "http2 ssl", "b"],
      ["net-misc/curl-8.10", "ssl", "a"],
    ]);
    assert.equal(p.buildList("x86-y").length, 1);
  });

  test("subtracts what the binhost holds; a node is covered once all its variants are held", () => {
    const p = new BuildPlanner();
    p.updateNode({ nodeId: "a", platformKey: "k", wants: [want("a/b-1", "x"), want("a/c-1")] });
    p.setHeld("k", [variantKey({ platformKey: "k", cpv: "a/b-1", use: ["x"] })]);
    assert.deepEqual(p.buildList("k").map((i) => i.variant.cpv), ["a/c-1"]);
    assert.equal(p.nodeCovered("a"), false);
    p.markHeld(variantKey({ platformKey: "k", cpv: "a/c-1", use: [] }));
    assert.deepEqual(p.buildList("k"), []);
    assert.equal(p.nodeCovered("a"), true);
  });

  test("isVariantHeld answers as isHeld of the variant's key, USE and platform included", () => {
    const p = new BuildPlanner();
    p.setHeld("k", [variantKey({ platformKey: "k", cpv: "a/b-1", use: ["x", "y"] }), variantKey({ platformKey: "k", cpv: "a/c-1", use: [] })]);
    const asked = [
      { platformKey: "k", cpv: "a/b-1", use: ["x", "y"] },
      { platformKey: "k", cpv: "a/b-1", use: ["x"] },
      { platformKey: "k", cpv: "a/b-1", use: ["x", "y", "z"] },
      { platformKey: "k", cpv: "a/c-1", use: [] },
      { platformKey: "k", cpv: "a/c-1", use: ["x"] },
      { platformKey: "other", cpv: "a/b-1", use: ["x", "y"] },
      { platformKey: "k", cpv: "a/d-1", use: [] },
    ];
    assert.deepEqual(
      asked.map((v) => p.isVariantHeld(v)),
      asked.map((v) => p.isHeld(variantKey(v))),
    );
    assert.deepEqual(asked.map((v) => p.isVariantHeld(v)), [true, false, false, true, false, false, false]);
  });

  test("incremental updates report exactly what changed, and a moved node leaves its old platform", () => {
    const p = new BuildPlanner();
    assert.deepEqual(p.updateNode({ nodeId: "a", platformKey: "k", wants: [want("a/b-1"), want("a/c-1")] }).added.length, 2);
    p.updateNode({ nodeId: "b", platformKey: "k", wants: [want("a/b-1")] });
    const d = p.updateNode({ nodeId: "a", platformKey: "k", wants: [want("a/b-1"), want("a/d-1")] });
    assert.deepEqual(d, { added: ["k|a/d-1|"], removed: ["k|a/c-1|"] });
    p.updateNode({ nodeId: "a", platformKey: "other", wants: [want("a/b-1")] });
    assert.deepEqual(p.buildList("k").map((i) => i.wantedBy), [["b"]]);
    p.removeNode("b");
    assert.deepEqual(p.buildList("k"), []);
    assert.equal(p.buildList("other").length, 1);
  });
});

test("the cached build list follows every change: new wanters, a node leaving, held variants, order", () => {
  const p = new BuildPlanner();
  const w = (cpv: string) => ({ cpv, use: [] });
  p.updateNode({ nodeId: "a", platformKey: "pk", wants: [w("c/dep-1"), w("c/app-1")] });
  assert.deepEqual(p.buildList("pk").map((i) => [i.variant.cpv, i.wantedBy]), [["c/dep-1", ["a"]], ["c/app-1", ["a"]]]);
  p.updateNode({ nodeId: "b", platformKey: "pk", wants: [w("c/app-1")] });
  // b puts app first (position 0): the earliest position any node gives wins.
  assert.deepEqual(p.buildList("pk").map((i) => [i.variant.cpv, i.wantedBy]), [["c/app-1", ["a", "b"]], ["c/dep-1", ["a"]]]);
  p.removeNode("b");
  assert.deepEqual(p.buildList("pk").map((i) => [i.variant.cpv, i.wantedBy]), [["c/dep-1", ["a"]], ["c/app-1", ["a"]]], "b's position left with b");
  p.markHeld("pk|c/dep-1|");
  assert.deepEqual(p.buildList("pk").map((i) => i.variant.cpv), ["c/app-1"]);
  p.updateNode({ nodeId: "c", platformKey: "pk", wants: [w("c/x-1"), w("c/y-1"), w("c/app-1")] });
  const keys = ["pk|c/app-1|", "pk|c/x-1|", "pk|c/dep-1|"];
  assert.deepEqual(p.inBuildOrder("pk", keys).map((i) => i.key), p.buildList("pk").map((i) => i.key).filter((k) => keys.includes(k)), "a subset in the same order, held ones left out");
});

test("after any churn the incremental plan is the plan made afresh from the nodes' last needs", () => {
  // Nodes come, change, move platform and leave; unsorted and repeated wants included.
  let seed = 7;
  const r = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const flags = ["a", "b", "c", "d"];
  const incremental = new BuildPlanner();
  const last = new Map<string, { nodeId: string; platformKey: string; wants: { cpv: string; use: string[] }[] }>();
  for (let step = 0; step < 3000; step++) {
    const nodeId = `n${r(30)}`;
    if (r(20) === 0) {
      incremental.removeNode(nodeId);
      last.delete(nodeId);
      continue;
    }
    const wants = Array.from({ length: r(12) }, () => ({ cpv: `c/p${r(25)}-1`, use: flags.filter(() => r(3) === 0).reverse() }));
    const needs = { nodeId, platformKey: `k${r(3)}`, wants };
    incremental.updateNode(needs);
    last.set(nodeId, needs);
  }
  const fresh = new BuildPlanner();
  for (const needs of last.values()) fresh.updateNode(needs);
  for (const k of ["k0", "k1", "k2"]) {
    assert.deepEqual(
      incremental.buildList(k).map((i) => [i.key, i.wantedBy]),
      fresh.buildList(k).map((i) => [i.key, i.wantedBy]),
    );
  }
  for (const nodeId of last.keys()) assert.equal(incremental.nodeNeedsKey(nodeId), fresh.nodeNeedsKey(nodeId));
});

test("the build list is the plan made naively: earliest merge position, then key; keys are found whatever their platform", () => {
  // cpvs that are prefixes of one another: key order ('|' after '.') differs from cpv order there.
  let seed = 11;
  const r = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const cpvs = ["c/p-1", "c/p-1.2", "c/p-10", "c/q-1", "c/q-1_rc1", "d/p-1"];
  const p = new BuildPlanner();
  const naive = new Map<string, { key: string; order: number; wantedBy: string[] }>();
  for (let n = 0; n < 40; n++) {
    const wants = Array.from({ length: r(6) }, () => ({ cpv: cpvs[r(cpvs.length)]!, use: ["x", "y"].filter(() => r(2) === 0) }));
    p.updateNode({ nodeId: `n${n}`, platformKey: "k", wants });
    const seen = new Set<string>();
    wants.forEach((w, i) => {
      const key = variantKey({ platformKey: "k", cpv: w.cpv, use: w.use });
      if (seen.has(key)) return;
      seen.add(key);
      const e = naive.get(key) ?? { key, order: i, wantedBy: [] };
      e.order = Math.min(e.order, i);
      e.wantedBy.push(`n${n}`);
      naive.set(key, e);
    });
  }
  const expected = [...naive.values()].sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : 1));
  assert.deepEqual(p.buildList("k").map((i) => [i.key, i.wantedBy]), expected.map((e) => [e.key, [...e.wantedBy].sort()]));
  const keys = expected.map((e) => e.key).reverse();
  assert.deepEqual(p.inBuildOrder("k", keys).map((i) => i.key), expected.map((e) => e.key));
  assert.deepEqual(p.inBuildOrder("other", keys), [], "keys of another platform are not in its list");
  assert.deepEqual(p.inBuildOrder("k", ["k|c/none-1|", "k|c/p-1|z", "other|c/p-1|", "k"]), []);
});

test("the planner's variants of one pair on two platforms stay apart, and leave with their last wanter", () => {
  const p = new BuildPlanner();
  const want = { cpv: "c/p-1", use: ["y", "x"] };
  p.updateNode({ nodeId: "a", platformKey: "k1", wants: [want] });
  p.updateNode({ nodeId: "b", platformKey: "k2", wants: [want] });
  const k1 = variantKey({ platformKey: "k1", cpv: "c/p-1", use: ["x", "y"] });
  assert.deepEqual(p.buildList("k1").map((i) => [i.key, i.variant.platformKey, i.wantedBy]), [[k1, "k1", ["a"]]]);
  assert.deepEqual(p.updateNode({ nodeId: "a", platformKey: "k1", wants: [] }), { added: [], removed: [k1] });
  assert.deepEqual(p.inBuildOrder("k1", [k1]), []);
  assert.equal(p.buildList("k2").length, 1, "k2's variant of the pair is not touched");
  // The pair comes back on k1 with another node's report: a new variant, not the old one.
  assert.deepEqual(p.updateNode({ nodeId: "c", platformKey: "k1", wants: [want] }).added, [k1]);
  assert.deepEqual(p.inBuildOrder("k1", [k1]).map((i) => i.wantedBy), [["c"]]);
});

test("a dropped pair's id, reused by another pair, leaves no variant behind on any platform", () => {
  const p = new BuildPlanner();
  p.updateNode({ nodeId: "a", platformKey: "k1", wants: [want("c/old-1", "x")] });
  p.updateNode({ nodeId: "a", platformKey: "k1", wants: [] });
  p.updateNode({ nodeId: "b", platformKey: "k2", wants: [want("c/new-1")] });
  assert.deepEqual(p.buildList("k1"), []);
  assert.deepEqual(p.inBuildOrder("k1", ["k1|c/new-1|", "k1|c/old-1|x"]), []);
  assert.deepEqual(p.updateNode({ nodeId: "c", platformKey: "k1", wants: [want("c/new-1")] }), { added: ["k1|c/new-1|"], removed: [] });
  assert.deepEqual(p.buildList("k1").map((i) => [i.key, i.wantedBy]), [["k1|c/new-1|", ["c"]]]);
  assert.deepEqual(p.buildList("k2").map((i) => [i.key, i.wantedBy]), [["k2|c/new-1|", ["b"]]]);
});
