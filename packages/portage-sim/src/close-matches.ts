/**
 * Python's difflib.get_close_matches(word, possibilities, n=3, cutoff=0.6), which emerge uses for
 * "Maybe you meant …": SequenceMatcher ratios (no junk; words are far below autojunk's 200),
 * best first, ties in reverse string order as heapq.nlargest leaves them.
 */
export function closeMatches(word: string, possibilities: Iterable<string>, n = 3, cutoff = 0.6): string[] {
  const b2j = new Map<string, number[]>();
  for (let j = 0; j < word.length; j++) {
    const list = b2j.get(word[j]!);
    if (list === undefined) b2j.set(word[j]!, [j]);
    else list.push(j);
  }
  const scored: [number, string][] = [];
  for (const x of possibilities) {
    const r = ratio(x, word, b2j);
    if (r >= cutoff) scored.push([r, x]);
  }
  scored.sort((p, q) => q[0] - p[0] || (q[1] < p[1] ? -1 : q[1] > p[1] ? 1 : 0));
  return scored.slice(0, n).map(([, x]) => x);
}

function ratio(a: string, b: string, b2j: ReadonlyMap<string, readonly number[]>): number {
  let matched = 0;
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  for (let q = queue.pop(); q !== undefined; q = queue.pop()) {
    const [alo, ahi, blo, bhi] = q;
    const [i, j, k] = longestMatch(a, b, b2j, alo, ahi, blo, bhi);
    if (k === 0) continue;
    matched += k;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
  }
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matched) / total;
}

/** SequenceMatcher.find_longest_match: the longest block, earliest in a, then earliest in b. */
function longestMatch(a: string, b: string, b2j: ReadonlyMap<string, readonly number[]>, alo: number, ahi: number, blo: number, bhi: number): [number, number, number] {
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  let j2len = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>();
    for (const j of b2j.get(a[i]!) ?? []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (j2len.get(j - 1) ?? 0) + 1;
      next.set(j, k);
      if (k > bestsize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestsize = k;
      }
    }
    j2len = next;
  }
  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    besti--;
    bestj--;
    bestsize++;
  }
  while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
  return [besti, bestj, bestsize];
}
