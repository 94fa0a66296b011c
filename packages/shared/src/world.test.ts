import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { formatWorld, parseWorld, parseWorldSets } from "./world.js";
import { fixture, noFixtures } from "./testing.js";

describe("world file", () => {
  test("real world files parse and rewrite byte-identically", { skip: noFixtures }, () => {
    for (const f of ["portage/world/world.node-initial", "portage/world/world.node-before-update", "portage/world/world.node-after-update", "real/world-file-server-linuxtricks.txt"]) {
      const text = readFileSync(fixture(f), "utf8");
      const w = parseWorld(text);
      assert.deepEqual(w.invalid, [], f);
      assert.equal(formatWorld(w.atoms.map((a) => a.raw)), text, f);
    }
    const slotted = parseWorld(readFileSync(fixture("portage/world/world.node-before-update"), "utf8")).atoms.filter((a) => a.slot !== null);
    assert.deepEqual(slotted.map((a) => a.raw), ["dev-libs/libdemo:0", "dev-libs/libdemo:2"]);
  });

  test("invalid lines are reported with line numbers, not thrown", () => {
    const w = parseWorld("app-misc/hello\n\n# comment\nnot an atom\n!app-misc/x\napp-misc/y-1.0\n");
    assert.deepEqual(w.atoms.map((a) => a.raw), ["app-misc/hello"]);
    assert.deepEqual(w.invalid.map((i) => i.line), [4, 5, 6]);
  });

  test("world_sets and formatting", () => {
    assert.deepEqual(parseWorldSets("@selected-foo\n@kde\n"), ["@selected-foo", "@kde"]);
    assert.throws(() => parseWorldSets("kde\n"));
    assert.equal(formatWorld(["b/b", "a/a", "b/b"]), "a/a\nb/b\n");
    assert.equal(formatWorld([]), "");
  });
});
