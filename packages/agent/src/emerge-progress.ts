/** A `>>> Emerging (n of m) cat/pkg-ver::repo` line (or `Emerging binary`), as emerge prints it while merging. */
export interface EmergeStep {
  readonly index: number;
  readonly total: number;
  readonly cpv: string;
  readonly binary: boolean;
}

const STEP_RE = /^>>> Emerging (binary )?\((\d+) of (\d+)\) (\S+?)(?:::\S+)?$/;

export function parseEmergeStep(line: string): EmergeStep | null {
  const m = STEP_RE.exec(line);
  if (m === null) return null;
  return { index: Number(m[2]), total: Number(m[3]), cpv: m[4]!, binary: m[1] !== undefined };
}
