// The structure rules of the repository, checked on its sources: no import cycles between files or
// packages, no source file over 500 lines (generated code aside), the CLI free of the daemons'
// dependencies, every package with an explicit public surface.
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { repoRoot } from "@binfleet/shared/testing";

interface PackageJson {
  readonly name: string;
  readonly exports?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const MAX_LINES = 500;

async function workspaces(): Promise<string[]> {
  const root = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces.map((w) => join(repoRoot, w));
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "gen" && e.name !== "node_modules" && e.name !== "dist") out.push(...(await sources(p)));
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Relative imports and re-exports of a source file, resolved to source paths. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

/** Every cycle's members (strongly connected components with more than one node, or a self-import). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe("repository structure", () => {
  test("no import cycle between source files", async () => {
    const graph = new Map<string, string[]>();
    for (const ws of await workspaces()) for (const f of await sources(join(ws, "src"))) graph.set(f, await importsOf(f));
    assert.ok(graph.size > 100, "the sources were found");
    assert.deepEqual(cycles(graph).map((c) => c.map((f) => relative(repoRoot, f))), []);
  });

  test("no import cycle between packages", async () => {
    const graph = new Map<string, string[]>();
    for (const ws of await workspaces()) {
      const pkg = JSON.parse(await readFile(join(ws, "package.json"), "utf8")) as PackageJson;
      graph.set(pkg.name, Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => d.startsWith("@binfleet/")));
    }
    assert.deepEqual(cycles(graph), []);
  });

  test(`no source file over ${MAX_LINES} lines (generated code aside)`, async () => {
    const long: string[] = [];
    for (const ws of await workspaces()) {
      for (const f of await sources(join(ws, "src"))) {
        const lines = (await readFile(f, "utf8")).split("\n").length - 1;
        if (lines > MAX_LINES) long.push(`${relative(repoRoot, f)}: ${lines}`);
      }
    }
    assert.deepEqual(long, []);
  });

  test("the CLI depends on the API client, not on the daemons or their bus", async () => {
    const cli = JSON.parse(await readFile(join(repoRoot, "packages/cli/package.json"), "utf8")) as PackageJson;
    const deps = Object.keys({ ...cli.dependencies, ...cli.devDependencies });
    assert.ok(deps.includes("@binfleet/api"));
    assert.deepEqual(deps.filter((d) => d.startsWith("@nats-io/") || ["execa", "@binfleet/coordinator", "@binfleet/nats-server", "@binfleet/bus", "@binfleet/agent"].includes(d)), []);
  });

  test("every package has an explicit public surface", async () => {
    for (const ws of await workspaces()) {
      const pkg = JSON.parse(await readFile(join(ws, "package.json"), "utf8")) as PackageJson;
      if (pkg.name === "@binfleet/e2e" || pkg.name === "@binfleet/bench") continue;
      assert.ok(pkg.exports?.["."] !== undefined, `${pkg.name} names its entry in exports`);
    }
  });
});
