import { cpus, freemem, totalmem } from "node:os";
import { FIGURE_ID, type Want } from "./selection.js";

/** One figure: `value` per `unit`, with the baseline measured in the same run and value/baseline. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly note?: string;
}

/** Figures measured together (they share a setup, or one is the other's baseline). */
export interface FigureGroup {
  /** Every id the group can produce: it runs when any of them is wanted. */
  readonly ids: readonly string[];
  /** Its figures; parts whose figures are all unwanted may be skipped. */
  figures(want: Want): Promise<Figure[]>;
}

export function machine(): Record<string, unknown> {
  const c = cpus();
  return {
    cores: c.length,
    cpu: c[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/**
 * Operations per second of `fn` (which performs `opsPerCall` operations per call):
 * warm up, then take the median of `rounds` timed rounds of at least `minMs` each.
 */
export function opsPerSecond(fn: () => unknown, opsPerCall = 1, rounds = 5, minMs = 200): number {
  let sink: unknown;
  const warm = performance.now();
  while (performance.now() - warm < minMs / 2) sink = fn();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      sink = fn();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    rates.push((calls * opsPerCall * 1000) / elapsed);
  }
  if (sink === Symbol.for("never")) console.error(sink);
  return median(rates);
}

/** The middle value of `xs` (the upper one of an even count); `xs` is left as it is. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

/** Wall ms, and this process's CPU ms meanwhile (user + system: GC threads included). */
export interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

/** A clock started now: each call gives the Timing since. */
export function stopwatch(): () => Timing {
  const cpu = process.cpuUsage();
  const start = performance.now();
  return () => {
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** One call of `fn`, timed; a promise it returns is timed until it settles. */
export function timed(fn: () => Promise<unknown>): Promise<Timing>;
export function timed(fn: () => unknown): Timing;
export function timed(fn: () => unknown): Timing | Promise<Timing> {
  const stop = stopwatch();
  const result = fn();
  return result instanceof Promise ? result.then(() => stop()) : stop();
}

export function figure(name: string, value: number, unit: string, baseline: number | null, note?: string): Figure {
  // Runs are compared by id: a description in the id would break that (it goes in the note).
  if (!FIGURE_ID.test(name)) throw new Error(`bench figure id ${JSON.stringify(name)} is not dotted lowercase`);
  const round = (n: number): number => Number(n.toPrecision(4));
  return {
    name,
    value: round(value),
    unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: baseline === null || baseline === 0 ? null : round(value / baseline),
    ...(note === undefined ? {} : { note }),
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same inputs on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
