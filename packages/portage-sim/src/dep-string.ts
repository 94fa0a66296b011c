import { type Atom, PortageFormatError, parseAtom } from "@binfleet/shared/portage";

/** A parsed dependency specification (PMS §8.2): atoms, `||` groups, `flag?` / `!flag?` groups. */
export type DepNode =
  | { readonly type: "atom"; readonly atom: Atom }
  | { readonly type: "anyOf"; readonly children: readonly DepNode[] }
  | { readonly type: "use"; readonly flag: string; readonly negate: boolean; readonly children: readonly DepNode[] }
  | { readonly type: "all"; readonly children: readonly DepNode[] };

/** After USE evaluation: plain atoms and any-of choices (each alternative a list of requirements). */
export type Requirement = Atom | { readonly anyOf: readonly (readonly Requirement[])[] };

export function parseDepString(text: string): DepNode[] {
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  let i = 0;
  const fail = (why: string): never => {
    throw new PortageFormatError(`invalid dependency string: ${why}`, "depend", text.slice(0, 200));
  };
  const group = (): DepNode[] => {
    if (tokens[i] !== "(") fail(`expected '(' at token ${i + 1}`);
    i++;
    const children = list(true);
    if (tokens[i] !== ")") fail(`missing ')'`);
    i++;
    return children;
  };
  const list = (nested: boolean): DepNode[] => {
    const out: DepNode[] = [];
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t === ")") {
        if (!nested) fail("unbalanced ')'");
        break;
      }
      if (t === "(") {
        out.push({ type: "all", children: group() });
      } else if (t === "||") {
        i++;
        out.push({ type: "anyOf", children: group() });
      } else if (t.endsWith("?")) {
        i++;
        const negate = t.startsWith("!");
        out.push({ type: "use", flag: t.slice(negate ? 1 : 0, -1), negate, children: group() });
      } else {
        out.push({ type: "atom", atom: parseAtom(t) });
        i++;
      }
    }
    return out;
  };
  const nodes = list(false);
  if (i !== tokens.length) fail("unbalanced ')'");
  return nodes;
}

/** Evaluates `flag?` groups against USE and flattens plain groups. */
export function reduceDeps(nodes: readonly DepNode[], use: ReadonlySet<string>): Requirement[] {
  const out: Requirement[] = [];
  for (const n of nodes) {
    switch (n.type) {
      case "atom":
        out.push(n.atom);
        break;
      case "all":
        out.push(...reduceDeps(n.children, use));
        break;
      case "use":
        if (use.has(n.flag) !== n.negate) out.push(...reduceDeps(n.children, use));
        break;
      case "anyOf": {
        const alternatives = n.children.map((c) => reduceDeps([c], use)).filter((alt) => alt.length > 0);
        if (alternatives.length > 0) out.push({ anyOf: alternatives });
        break;
      }
    }
  }
  return out;
}
