import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { type Rollout, RolloutError, type RolloutHost, RolloutManager, type RolloutOptions } from "./rollout-manager.js";

const quiet = createLogger({ name: "test", level: "error", destination: new PassThrough() });

/** A fleet in memory: nodes with something to update, some offline; sent commands recorded. */
function fakeHost(nodes: string[], o: { offline?: string[]; nothingToDo?: string[]; notReady?: string[] } = {}) {
  const sent: { node: string; id: string; atoms: readonly string[] }[] = [];
  const asked: { node: string; atoms: readonly string[] }[] = [];
  const saved = new Map<string, string>();
  let now = Date.UTC(2026, 10, 25, 3, 0);
  const offline = new Set(o.offline ?? []);
  const host: RolloutHost = {
    nodesOf: () => [...nodes].sort(),
    preflight: (n) => (o.nothingToDo?.includes(n) ? { binaryCount: 0, compileCount: 0, downloadBytes: 0 } : { binaryCount: 3, compileCount: 0, downloadBytes: 1000 }),
    online: (n) => !offline.has(n),
    ready: (n, atoms) => (asked.push({ node: n, atoms }), !(o.notReady ?? []).includes(n)),
    sendUpdates: async (_r, updates) => void sent.push(...updates.map((u) => ({ node: u.nodeId, id: u.commandId, atoms: u.atoms ?? [] }))),
    save: async (r) => void saved.set(r.id, JSON.stringify(r)),
    now: () => now,
  };
  return { host, sent, asked, saved, offline, advance: (ms: number) => (now += ms), setNow: (t: number) => (now = t) };
}

const opts = (o: Partial<RolloutOptions> = {}): RolloutOptions => ({ platformKey: "", canary: 1, maxInFlight: 2, maxFailurePercent: 0, window: "", ...o });

async function finishAll(m: RolloutManager, f: ReturnType<typeof fakeHost>, ok: (node: string) => boolean, from = 0): Promise<void> {
  const end = f.sent.length;
  for (let i = from; i < end; i++) await m.finished(f.sent[i]!.node, f.sent[i]!.id, ok(f.sent[i]!.node), ok(f.sent[i]!.node) ? "" : "No space left on device");
}

describe("RolloutManager", () => {
  test("canaries go alone, then at most maxInFlight nodes at a time, until every node succeeded", async () => {
    const f = fakeHost(["a", "b", "c", "d", "e"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1, maxInFlight: 2 }), false);
    assert.deepEqual(f.sent.map((s) => s.node), ["a"], "only the canary");
    await finishAll(m, f, () => true);
    assert.deepEqual(f.sent.map((s) => s.node), ["a", "b", "c"], "then two at a time");
    await m.finished("b", f.sent[1]!.id, true, "");
    assert.deepEqual(f.sent.map((s) => s.node), ["a", "b", "c", "d"]);
    await finishAll(m, f, () => true, 2);
    await finishAll(m, f, () => true, 4);
    assert.equal(m.get(r.id).state, "done");
    assert.equal(new Set(f.sent.map((s) => s.node)).size, 5, "each node updated once");
    assert.equal(JSON.parse(f.saved.get(r.id)!).state, "done", "the final state is saved");
  });

  test("a failing canary halts the rollout before any other node is touched", async () => {
    const f = fakeHost(["a", "b", "c"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1 }), false);
    await finishAll(m, f, () => false);
    assert.equal(m.get(r.id).state, "halted");
    assert.match(m.get(r.id).reason, /canary a failed: No space left/);
    assert.deepEqual(f.sent.map((s) => s.node), ["a"]);
    await m.tick();
    assert.deepEqual(f.sent.map((s) => s.node), ["a"], "halted stays halted");
  });

  test("failures beyond the threshold halt; resume goes on", async () => {
    const f = fakeHost(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 0, maxInFlight: 10, maxFailurePercent: 10 }), false);
    assert.equal(f.sent.length, 10);
    await m.finished("a", f.sent[0]!.id, false, "x");
    assert.equal(m.get(r.id).state, "running", "1 of 10 is 10%: not beyond");
    await m.finished("b", f.sent[1]!.id, false, "x");
    assert.equal(m.get(r.id).state, "halted");
    assert.match(m.get(r.id).reason, /2 of 10 nodes failed/);
  });

  test("offline nodes are skipped, marked, and updated when they return", async () => {
    const f = fakeHost(["a", "b", "c"], { offline: ["b"] });
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1, maxInFlight: 5 }), false);
    await finishAll(m, f, () => true);
    assert.deepEqual(f.sent.map((s) => s.node).sort(), ["a", "c"]);
    assert.equal(m.get(r.id).nodes.find((n) => n.nodeId === "b")!.state, "offline");
    await finishAll(m, f, () => true, 1);
    assert.equal(m.get(r.id).state, "running", "b still to go");
    f.offline.delete("b");
    await m.tick();
    assert.deepEqual(f.sent.map((s) => s.node).sort(), ["a", "b", "c"]);
    await finishAll(m, f, () => true, 2);
    assert.equal(m.get(r.id).state, "done");
  });

  test("nodes with nothing to update are current and not sent anything; nodes waiting for builds wait", async () => {
    const f = fakeHost(["a", "b", "c"], { nothingToDo: ["a"], notReady: ["c"] });
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1 }), false);
    assert.deepEqual(f.sent.map((s) => s.node), ["b"], "a is current, so b is the canary");
    assert.ok(m.get(r.id).nodes.find((n) => n.nodeId === "b")!.canary);
    await finishAll(m, f, () => true);
    assert.deepEqual(f.sent.map((s) => s.node), ["b"], "c waits until its binaries are built");
  });

  test("dispatches only inside the maintenance window", async () => {
    const f = fakeHost(["a"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    f.setNow(Date.UTC(2026, 10, 25, 12, 0)); // a Wednesday, noon UTC
    const r = await m.start(opts({ window: "Wed 02:00-04:00" }), false);
    assert.equal(f.sent.length, 0);
    assert.match(m.get(r.id).reason, /outside maintenance window/);
    f.setNow(Date.UTC(2026, 11, 2, 2, 30)); // next Wednesday, 02:30
    await m.tick();
    assert.equal(f.sent.length, 1);
  });

  test("an update without an outcome times out as failed", async () => {
    const f = fakeHost(["a", "b"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1 }), false);
    f.advance(61_000);
    await m.tick();
    assert.equal(m.get(r.id).state, "halted");
    assert.match(m.get(r.id).nodes[0]!.error, /no outcome within 60 s/);
  });

  test("a restarted manager resends the in-flight command with the same id, and picks up its outcome", async () => {
    const f = fakeHost(["a", "b"]);
    const m1 = new RolloutManager(f.host, quiet, 60_000);
    const r = await m1.start(opts({ canary: 1 }), false);
    const id = f.sent[0]!.id;
    const m2 = new RolloutManager(f.host, quiet, 60_000);
    await m2.load([JSON.parse(f.saved.get(r.id)!) as Rollout]);
    assert.deepEqual(f.sent.map((s) => s.id), [id, id], "the same command again: agents run an id once");
    await m2.finished("a", id, true, "");
    assert.deepEqual(f.sent.map((s) => s.node), ["a", "a", "b"]);
  });

  test("one active rollout per set of nodes; dry runs change nothing; control of unknown rollouts fails", async () => {
    const f = fakeHost(["a", "b"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const dry = await m.start(opts(), true);
    assert.equal(dry.state, "done");
    assert.equal(f.sent.length, 0);
    assert.equal(f.saved.size, 0);
    await m.start(opts(), false);
    await assert.rejects(m.start(opts(), false), (e: unknown) => e instanceof RolloutError && e.kind === "failed-precondition");
    await assert.rejects(m.control("nope", "pause"), (e: unknown) => e instanceof RolloutError && e.kind === "not-found");
    await assert.rejects(m.start(opts({ window: "someday" }), false), (e: unknown) => e instanceof RolloutError && e.kind === "invalid-argument");
  });

  test("pause stops dispatching, resume continues, abort ends it", async () => {
    const f = fakeHost(["a", "b", "c"]);
    const m = new RolloutManager(f.host, quiet, 60_000);
    const r = await m.start(opts({ canary: 1 }), false);
    await m.control(r.id, "pause");
    await finishAll(m, f, () => true);
    assert.equal(f.sent.length, 1, "paused: the canary finished, nobody else started");
    await m.control(r.id, "resume");
    assert.equal(f.sent.length, 3);
    await m.control(r.id, "abort");
    assert.equal(m.get(r.id).state, "aborted");
    await assert.rejects(m.control(r.id, "resume"), RolloutError);
  });

  test("a targeted rollout updates only its nodes, each with its own atoms, beside a fleet-wide one", async () => {
    const f = fakeHost(["a", "b", "c", "d"], { offline: ["c"], notReady: ["d"] });
    const m = new RolloutManager(f.host, quiet, 60_000);
    const wide = await m.start(opts({ canary: 0, maxInFlight: 1 }), false);
    const targets = { a: ["=dev-libs/foo-1.2"], b: ["=dev-libs/foo-1.2"], c: ["=dev-libs/foo-1.2", "=dev-libs/bar-2:2"], d: ["=dev-libs/foo-1.2"] };
    const fix = await m.start(opts({ canary: 1, maxInFlight: 5, targets, purpose: "GLSA 202611-01" }), false);
    assert.deepEqual(fix.nodes.map((n) => [n.nodeId, n.atoms]), Object.entries(targets), "only the named nodes, with their atoms");
    assert.equal(fix.nodes.find((n) => n.canary)?.nodeId, "a", "the first online node is the canary");
    const fixSent = () => f.sent.filter((s) => s.atoms.length > 0).map((s) => s.node);
    const wideSent = () => f.sent.filter((s) => s.atoms.length === 0);
    assert.deepEqual(fixSent(), [], "a is updating in the fleet-wide rollout (its agent would refuse a second emerge): the canary waits");
    await m.finished("a", wideSent()[0]!.id, true, "");
    assert.deepEqual(fixSent(), ["a"], "then the canary goes alone");
    assert.deepEqual(f.sent.find((s) => s.atoms.length > 0)!.atoms, targets.a, "with its atoms");
    assert.ok(f.asked.some((x) => x.node === "a" && x.atoms === fix.nodes[0]!.atoms), "readiness is asked for the node's atoms");
    assert.deepEqual(wideSent().map((s) => s.node), ["a", "b"], "meanwhile the fleet-wide rollout went on to b");
    await m.finished("a", f.sent.find((s) => s.atoms.length > 0)!.id, true, "");
    assert.deepEqual(fixSent(), ["a"], "b is busy with the fleet-wide update, c is offline, d waits for its binaries");
    assert.equal(m.get(fix.id).nodes.find((n) => n.nodeId === "c")?.state, "offline");
    await m.finished("b", wideSent()[1]!.id, true, "");
    assert.deepEqual(fixSent(), ["a", "b"]);
    f.offline.delete("c");
    await m.tick();
    await m.finished("c", wideSent().find((s) => s.node === "c")!.id, true, "");
    assert.deepEqual(fixSent(), ["a", "b", "c"], "c is caught up when it returns (after its fleet-wide update)");
    assert.deepEqual(f.sent.filter((s) => s.node === "c" && s.atoms.length > 0).map((s) => s.atoms), [targets.c]);
    assert.equal(m.get(wide.id).state, "running", "the fleet-wide rollout goes on");
    await assert.rejects(m.start(opts(), false), (e: unknown) => e instanceof RolloutError && e.kind === "failed-precondition", "fleet-wide rollouts still exclude each other");
  });
});
