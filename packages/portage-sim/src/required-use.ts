type Node =
  | { readonly kind: "flag"; readonly flag: string; readonly negate: boolean }
  | { readonly kind: "group"; readonly op: "||" | "^^" | "??" | "()"; readonly children: readonly Node[] }
  | { readonly kind: "cond"; readonly flag: string; readonly negate: boolean; readonly children: readonly Node[] };

function parse(text: string): Node[] {
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  let i = 0;
  const list = (): Node[] => {
    const out: Node[] = [];
    while (i < tokens.length && tokens[i] !== ")") {
      const t = tokens[i++]!;
      if (t === "||" || t === "^^" || t === "??" || t === "(" || t.endsWith("?")) {
        if (t !== "(") i++; // the "(" after an operator or a condition
        const children = list();
        i++; // ")"
        if (t.endsWith("?") && t.length > 1 && t !== "??") out.push({ kind: "cond", flag: t.replace(/^!/, "").slice(0, -1), negate: t.startsWith("!"), children });
        else out.push({ kind: "group", op: t === "(" ? "()" : (t as "||" | "^^" | "??"), children });
      } else {
        out.push({ kind: "flag", flag: t.replace(/^!/, ""), negate: t.startsWith("!") });
      }
    }
    return out;
  };
  return list();
}

function holds(n: Node, use: ReadonlySet<string>): boolean {
  switch (n.kind) {
    case "flag":
      return use.has(n.flag) !== n.negate;
    case "cond":
      return use.has(n.flag) === n.negate || n.children.every((c) => holds(c, use));
    case "group": {
      const count = n.children.filter((c) => holds(c, use)).length;
      if (n.op === "||") return count > 0;
      if (n.op === "^^") return count === 1;
      if (n.op === "??") return count <= 1;
      return count === n.children.length;
    }
  }
}

function render(n: Node): string {
  switch (n.kind) {
    case "flag":
      return `${n.negate ? "!" : ""}${n.flag}`;
    case "cond":
      return `${n.negate ? "!" : ""}${n.flag}? ( ${n.children.map(render).join(" ")} )`;
    case "group":
      return `${n.op === "()" ? "" : `${n.op} `}( ${n.children.map(render).join(" ")} )`;
  }
}

/** Portage's human_readable_required_use. */
export const humanReadable = (s: string): string => s.replaceAll("^^", "exactly-one-of").replaceAll("||", "any-of").replaceAll("??", "at-most-one-of");

/**
 * The REQUIRED_USE constraints `use` violates, as Portage's check_required_use reduces them for its
 * message (the unsatisfied top-level constraints), and the whole expression normalised; null when met.
 */
export function unmetRequiredUse(requiredUse: string, use: ReadonlySet<string>): { unmet: string; whole: string } | null {
  const nodes = parse(requiredUse);
  const failed = nodes.filter((n) => !holds(n, use));
  if (failed.length === 0) return null;
  return { unmet: failed.map(render).join(" "), whole: requiredUse.split(/\s+/).filter((t) => t !== "").join(" ") };
}
