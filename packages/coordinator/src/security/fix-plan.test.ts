import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PendingMerge } from "../ingest/node-registry.js";
import type { InstalledEntry } from "./exposure-evaluator.js";
import { type FixPlanSource, planFix } from "./fix-plan.js";
import type { ExposureRecord } from "./glsa-store.js";

const exposure = (node: string, platformKey: string, ...packages: [string, string][]): ExposureRecord => ({ node, glsa: "202611-01", platformKey, packages: packages.map(([installed, fixed]) => ({ installed, fixed })), firstSeen: 1 });
const pending = (cpv: string, use: string[], disabled: string[]): PendingMerge => ({ cpv, use, disabled, binary: false, downloadBytes: 0 });
const installed = (cpv: string, use: string[], iuse: string[]): InstalledEntry => ({ cpv, slot: "0", use, iuse });

function source(o: { pending?: Record<string, PendingMerge[]>; installed?: Record<string, InstalledEntry[]>; iuse?: Record<string, string[]>; builders?: string[] }): FixPlanSource {
  return {
    hasBuilder: (pk) => (o.builders ?? ["amd64", "x86"]).includes(pk),
    pending: (node) => o.pending?.[node] ?? [],
    installed: (node) => o.installed?.[node] ?? [],
    iuse: (_pk, cpv) => o.iuse?.[cpv],
  };
}

describe("planFix", () => {
  test("each fixing version is built once per platform variant; every exposed node updates exactly its fixes", () => {
    const p = planFix(
      [exposure("n1", "amd64", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"]), exposure("n2", "amd64", ["dev-libs/foo-1.0", "dev-libs/foo-1.2"]), exposure("n3", "x86", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"])],
      source({
        installed: { n1: [installed("dev-libs/foo-1.1", ["ssl", "amd64"], ["+ssl", "zstd"])], n2: [installed("dev-libs/foo-1.0", ["ssl"], ["+ssl", "zstd"])], n3: [installed("dev-libs/foo-1.1", ["zstd", "x86"], ["+ssl", "zstd"])] },
        iuse: { "dev-libs/foo-1.2": ["+ssl", "zstd"] },
      }),
    );
    assert.deepEqual(p.nodes, {
      n1: { atoms: ["=dev-libs/foo-1.2"], variants: ["amd64|dev-libs/foo-1.2|ssl"] },
      n2: { atoms: ["=dev-libs/foo-1.2"], variants: ["amd64|dev-libs/foo-1.2|ssl"] },
      n3: { atoms: ["=dev-libs/foo-1.2"], variants: ["x86|dev-libs/foo-1.2|zstd"] },
    });
    assert.deepEqual(
      p.builds.map((b) => [b.key, b.variant.disabled, b.wantedBy]),
      [
        ["amd64|dev-libs/foo-1.2|ssl", ["zstd"], ["n1", "n2"]],
        ["x86|dev-libs/foo-1.2|zstd", ["ssl"], ["n3"]],
      ],
      "the arch flag of vdb USE is not a flag of the package",
    );
    assert.deepEqual(p.unfixable, []);
  });

  test("the USE a node's plan has for the fixing version wins; a flag new in it takes its IUSE default", () => {
    const p = planFix(
      [exposure("n1", "amd64", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"]), exposure("n2", "amd64", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"]), exposure("n3", "amd64", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"])],
      source({
        pending: { n1: [pending("dev-libs/foo-1.2", ["zstd"], ["new", "ssl"])], n2: [pending("dev-libs/foo-1.3", ["ssl"], ["zstd"])] },
        installed: { n3: [installed("dev-libs/foo-1.1", [], ["+ssl", "zstd"])] },
        iuse: { "dev-libs/foo-1.2": ["+ssl", "zstd", "+new"] },
      }),
    );
    assert.deepEqual(
      p.builds.map((b) => [b.key, b.variant.disabled]),
      [
        ["amd64|dev-libs/foo-1.2|zstd", ["new", "ssl"]],
        ["amd64|dev-libs/foo-1.2|ssl", ["new", "zstd"]],
        ["amd64|dev-libs/foo-1.2|new", ["ssl", "zstd"]],
      ],
    );
  });

  test("nodes nothing fixes are named; nodes without a builder compile their fix, so they wait for no build", () => {
    const p = planFix([exposure("n1", "amd64", ["dev-libs/foo-1.1", ""]), exposure("n2", "arm64", ["dev-libs/foo-1.1", "dev-libs/foo-1.2"], ["dev-libs/bar-2", "dev-libs/bar-2.1"])], source({}));
    assert.deepEqual(p.unfixable, ["n1"]);
    assert.deepEqual(p.nodes, { n2: { atoms: ["=dev-libs/bar-2.1", "=dev-libs/foo-1.2"], variants: [] } });
    assert.deepEqual(p.builds, []);
  });
});
