import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pickPlatform } from "./queued-work.js";

describe("pickPlatform", () => {
  test("a free slot serves the platform with the most estimated work queued", () => {
    assert.equal(pickPlatform([{ name: "amd64", queuedSeconds: 3600 }, { name: "i686", queuedSeconds: 7200 }, { name: "arm64", queuedSeconds: 100 }]), "i686");
  });

  test("work, not job count: one long build outweighs many short ones", () => {
    // Jobs do not show here at all: the coordinator turns each queue into estimated seconds.
    assert.equal(pickPlatform([{ name: "many-small", queuedSeconds: 40 * 60 }, { name: "one-llvm", queuedSeconds: 5400 }]), "one-llvm");
  });

  test("queues not known to hold work are still tried, in order; no candidate is no choice", () => {
    assert.equal(pickPlatform([{ name: "a", queuedSeconds: 0 }, { name: "b", queuedSeconds: 0 }]), "a");
    assert.equal(pickPlatform([]), null);
  });

  test("security builds go first, whatever else a platform has queued", () => {
    assert.equal(pickPlatform([{ name: "busy", queuedSeconds: 36_000 }, { name: "fix", queuedSeconds: 60, urgentJobs: 1 }]), "fix");
    assert.equal(pickPlatform([{ name: "a", queuedSeconds: 600, urgentJobs: 1 }, { name: "b", queuedSeconds: 60, urgentJobs: 3 }, { name: "c", queuedSeconds: 9_000 }]), "b");
    assert.equal(pickPlatform([{ name: "a", queuedSeconds: 60, urgentJobs: 2 }, { name: "b", queuedSeconds: 600, urgentJobs: 2 }]), "b");
  });
});
