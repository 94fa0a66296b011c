// Test support (not part of the public surface): where the shared Portage fixtures live.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file compiles to packages/shared/dist/testing.js). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** `../shared/fixtures` beside the clone, or $BINFLEET_FIXTURES; null when absent. */
export const fixturesRoot: string | null = (() => {
  const dir = process.env["BINFLEET_FIXTURES"] ?? join(repoRoot, "..", "shared", "fixtures");
  return existsSync(dir) ? dir : null;
})();

/** Reason string for `test(..., { skip })` when fixtures are missing. */
export const noFixtures: string | false =
  fixturesRoot === null ? `fixtures not found: expected ../shared/fixtures beside the clone (or set BINFLEET_FIXTURES)` : false;

/** Absolute path of a fixture file; only call when {@link fixturesRoot} is set. */
export function fixture(...parts: string[]): string {
  if (fixturesRoot === null) throw new Error("fixtures are not available");
  return join(fixturesRoot, ...parts);
}
