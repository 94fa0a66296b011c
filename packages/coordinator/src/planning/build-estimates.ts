import { tryParseCpv } from "@binfleet/shared";
import type { BuildRecord } from "../builders/builder-worker.js";

/** What a package with no build history is assumed to take, until one is built. */
const DEFAULT_SECONDS = 60;
/** Durations kept per package: recent builds say most about the next one. */
const KEPT = 5;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * How long a build of a package will take, from how long its earlier builds took (any version,
 * USE or platform), as qlop estimates from emerge.log. A package never built yet is assumed to
 * take the median of the packages that were. Only real builds count: a record written because the
 * binary was already on the binhost has no build log and says nothing about build time.
 */
export class BuildEstimates {
  private readonly byCp = new Map<string, number[]>();
  private fallback: number | null = null;

  observe(r: BuildRecord): void {
    if (r.state !== "succeeded" || r.logTail.length === 0 || r.finishedAt <= r.startedAt) return;
    const cp = cpOf(r.key.split("|")[1] ?? "");
    if (cp === null) return;
    const list = this.byCp.get(cp) ?? [];
    list.push((r.finishedAt - r.startedAt) / 1000);
    if (list.length > KEPT) list.shift();
    this.byCp.set(cp, list);
    this.fallback = null;
  }

  /** Estimated seconds to build a cpv. */
  estimate(cpv: string): number {
    const known = this.byCp.get(cpOf(cpv) ?? "");
    if (known !== undefined) return median(known);
    this.fallback ??= this.byCp.size === 0 ? DEFAULT_SECONDS : median([...this.byCp.values()].map(median));
    return this.fallback;
  }
}

function cpOf(cpv: string): string | null {
  return tryParseCpv(cpv)?.cp ?? null;
}
