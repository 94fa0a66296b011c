// Test support (not part of the public surface): where the shared Portage fixtures live, and small builders of test input.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type PlatformSettings, platformFingerprint } from "./platform-key.js";

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

/** Polls `fn` until it returns a value (not null/undefined/false), or fails after `ms` naming `what`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

/** A loopback TCP port free right now (for daemons configured with a fixed port). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A report's platform as an agent computes it: the given settings (the rest empty) and the key they produce. */
export function reportPlatform(settings: Partial<PlatformSettings>): PlatformSettings & { key: string } {
  const full: PlatformSettings = { arch: "", chost: "", cflags: "", cxxflags: "", ldflags: "", profile: "", acceptKeywords: "", binpkgFormat: "gpkg", ...settings };
  return { ...full, key: platformFingerprint(full).key };
}

/**
 * A GLSA document with every element Portage's glsa module requires: `affected` (the
 * `<package>` elements) and `extra` go inside `<glsa>`; `doctype` replaces the DOCTYPE line.
 */
export function glsaXml(affected: string, options: { id?: string; extra?: string; doctype?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
${options.doctype ?? `<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd">`}
<glsa id="${options.id ?? "209901-01"}">
  <title>t</title><synopsis>s</synopsis><product type="ebuild">p</product>
  <announced>2026-01-01</announced><revised count="2">2026-01-02</revised><bug>1</bug><bug>2</bug>
  <affected>${affected}</affected>${options.extra ?? ""}
  <description><p>d</p></description><impact type="low"><p>i</p></impact>
  <workaround><p>w</p></workaround><resolution><p>r</p><code>emerge</code></resolution>
  <references><uri link="https://x.org/1">CVE-1</uri><uri>CVE-2</uri></references>
</glsa>`;
}

/** Seeded pseudo-random choices (mulberry32), so generated test cases are the same on every run. */
export interface SeededRandom {
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  /** Up to `max` distinct members of `xs`. */
  subset<T>(xs: readonly T[], max: number): T[];
}

export function seededRandom(seed: number): SeededRandom {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return {
    int,
    pick,
    chance: (p) => next() < p,
    subset: <T>(xs: readonly T[], max: number): T[] => {
      const out = new Set<T>();
      for (let i = 0, n = int(max + 1); i < n && xs.length > 0; i++) out.add(pick(xs));
      return [...out];
    },
  };
}
