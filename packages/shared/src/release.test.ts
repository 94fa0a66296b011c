import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BINFLEET_VERSION } from "./release.js";
import { repoRoot } from "./testing.js";

test("the version programs print is the repository's package.json version", async () => {
  const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string };
  assert.equal(BINFLEET_VERSION, pkg.version);
});
