// Which figures a bench run computes: `--only <id-prefix>[,…]` (or `--only=…`), each prefix taken
// on dotted boundaries: `plan` selects plan.full and plan.incremental, `formats.packages` selects
// formats.packages and formats.packages.stanzas, `fan` selects nothing.

/** True when the figure with this id is to be computed. */
export type Want = (id: string) => boolean;

export class BenchArgumentError extends Error {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super(message);
    this.name = "BenchArgumentError";
    this.argument = argument;
  }
}

/** A figure id: dotted lowercase words. */
export const FIGURE_ID = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

/** The selection the command line asks for; every figure without `--only`. */
export function selection(argv: readonly string[]): Want {
  const prefixes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === "--only") {
      value = argv[++i];
      if (value === undefined) throw new BenchArgumentError(a, "--only needs figure ids, e.g. --only plan.full,fanout");
    } else if (a.startsWith("--only=")) value = a.slice("--only=".length);
    else continue;
    for (const p of value.split(",").map((s) => s.trim())) {
      if (!FIGURE_ID.test(p)) throw new BenchArgumentError(a, `--only: ${JSON.stringify(p)} is not a figure id (dotted lowercase, e.g. plan.full)`);
      prefixes.push(p);
    }
  }
  if (prefixes.length === 0) return () => true;
  return (id) => prefixes.some((p) => id === p || id.startsWith(`${p}.`));
}

/** True when any of these ids is wanted: a group of figures measured together runs for any of them. */
export const wantsAny = (want: Want, ids: readonly string[]): boolean => ids.some(want);
