/** The normal form names are compared in: case, `-`, `_` and `.` make no difference ("api.tokens" ~ "apiTokens"). */
const normal = (s: string): string => s.toLowerCase().replace(/[-_.]/g, "");

/** Edit distance with adjacent transpositions (optimal string alignment): "nast" is 1 from "nats". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate a mistyped name most likely meant, or null when none is close: at most one edit
 * per three characters (so "port" does not suggest "host"). Names are compared in a normal form,
 * so "apiTokens" finds "api.tokens".
 */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  // Past this length a name is not a typo of a configuration key, and comparing it costs time.
  if (name.length > 64) return null;
  const n = normal(name);
  let best: { name: string; d: number } | null = null;
  for (const c of candidates) {
    const cn = normal(c);
    const d = distance(n, cn);
    if (d <= Math.max(1, Math.floor(Math.max(n.length, cn.length) / 3)) && (best === null || d < best.d)) best = { name: c, d };
  }
  return best?.name ?? null;
}
