import type { GraphNode } from "./merge-order.js";

/** An entry of the merge list: a package (merged, or uninstalled because of a blocker) or a blocker. */
export type TreeItem<P, T> =
  | { readonly kind: "package"; readonly pkg: P; readonly node: GraphNode<T> | null; readonly uninstallFor?: GraphNode<T> }
  | { readonly kind: "blocks"; readonly atom: string; readonly parent: string; readonly satisfied: boolean; readonly node: GraphNode<T> | null };

type Vertex<P, T> = GraphNode<T> | TreeItem<P, T>;

export interface TreeLine<P, T> {
  readonly item: TreeItem<P, T>;
  readonly depth: number;
  readonly ordered: boolean;
}

/**
 * Portage's --tree display (_tree_display with _ordered_tree_display and _prune_tree_display):
 * each entry of the (reversed) merge list goes under the entry above it when it is its
 * dependency; otherwise a chain of parents that are not arguments is shown above it as
 * "nomerge" lines. A blocker hangs under the package that has it, the uninstall under the blocker.
 */
export function treeDisplay<P, T>(list: readonly TreeItem<P, T>[], asNomerge: (n: GraphNode<T>) => P): TreeLine<P, T>[] {
  const blockersOf = new Map<GraphNode<T>, TreeItem<P, T>[]>();
  for (const item of list) if (item.kind === "blocks" && item.node !== null) blockersOf.set(item.node, [...(blockersOf.get(item.node) ?? []), item]);
  const blockerOfUninstall = new Map<TreeItem<P, T>, TreeItem<P, T>>();
  const uninstallsOf = new Map<TreeItem<P, T>, TreeItem<P, T>[]>();
  for (const item of list) {
    if (item.kind !== "package" || item.uninstallFor === undefined) continue;
    const blocker = blockersOf.get(item.uninstallFor)?.[0];
    if (blocker === undefined) continue;
    blockerOfUninstall.set(item, blocker);
    uninstallsOf.set(blocker, [...(uninstallsOf.get(blocker) ?? []), item]);
  }
  const isNode = (v: Vertex<P, T>): v is GraphNode<T> => !("kind" in v);
  const vertexOf = (item: TreeItem<P, T>): Vertex<P, T> => (item.kind === "package" && item.node !== null ? item.node : item);
  const children = (v: Vertex<P, T>): Vertex<P, T>[] => {
    if (isNode(v)) return [...v.children, ...(blockersOf.get(v) ?? [])];
    return uninstallsOf.get(v) ?? [];
  };
  const parents = (v: Vertex<P, T>): Vertex<P, T>[] => {
    if (isNode(v)) return [...v.parents];
    if (v.kind === "blocks") return v.node === null ? [] : [v.node];
    const b = blockerOfUninstall.get(v);
    return b === undefined ? [] : [b];
  };

  const display: { v: Vertex<P, T>; depth: number; ordered: boolean }[] = [];
  const shownEdges = new Set<string>();
  const ids = new Map<Vertex<P, T>, number>();
  const edge = (a: Vertex<P, T>, b: Vertex<P, T>): string => {
    for (const x of [a, b]) if (!ids.has(x)) ids.set(x, ids.size);
    return `${ids.get(a)}>${ids.get(b)}`;
  };
  let treeNodes: Vertex<P, T>[] = [];
  for (const item of list) {
    const x = vertexOf(item);
    let depth = treeNodes.length;
    while (depth > 0 && !children(treeNodes[depth - 1]!).includes(x)) depth--;
    if (depth > 0) {
      treeNodes = treeNodes.slice(0, depth);
      treeNodes.push(x);
      display.push({ v: x, depth, ordered: true });
      shownEdges.add(edge(x, treeNodes[depth - 1]!));
      continue;
    }
    const traversed = new Set<Vertex<P, T>>([x]);
    const addParents = (current: Vertex<P, T>, ordered: boolean): void => {
      const ps = isNode(current) && current.isArg ? [] : parents(current);
      if (ps.length > 0) {
        const kids = new Set(children(current));
        const pick = (avoidCycle: boolean): Vertex<P, T> | undefined =>
          ps.find((p) => !traversed.has(p) && (!avoidCycle || !kids.has(p)) && !shownEdges.has(edge(current, p)));
        const selected = pick(true) ?? pick(false);
        if (selected !== undefined) {
          shownEdges.add(edge(current, selected));
          traversed.add(selected);
          addParents(selected, false);
        }
      }
      display.push({ v: current, depth: treeNodes.length, ordered });
      treeNodes.push(current);
    };
    treeNodes = [];
    addParents(x, true);
  }
  prune(display, (v) => !isNode(v) && v.kind === "package");

  const merged = new Map<GraphNode<T>, TreeItem<P, T>>();
  for (const item of list) if (item.kind === "package" && item.node !== null) merged.set(item.node, item);
  return display.map(({ v, depth, ordered }) => ({
    item: isNode(v) ? (ordered ? merged.get(v)! : { kind: "package", pkg: asNomerge(v), node: v }) : v,
    depth,
    ordered,
  }));
}

/** Portage's _prune_tree_display: drops parent lines that lead to nothing merged. */
function prune<V>(display: { v: V; depth: number; ordered: boolean }[], isUninstall: (v: V) => boolean): void {
  let lastMergeDepth = 0;
  for (let i = display.length - 1; i >= 0; i--) {
    const { v, depth, ordered } = display[i]!;
    if (!ordered && depth === 0 && i > 0 && v === display[i - 1]!.v && display[i - 1]!.depth === 0) {
      display.splice(i, 1);
      continue;
    }
    if (ordered && (isUninstall(v) || !isBlocker(v))) {
      lastMergeDepth = depth;
      continue;
    }
    if (depth >= lastMergeDepth || (i < display.length - 1 && depth >= display[i + 1]!.depth)) display.splice(i, 1);
  }
}

function isBlocker(v: unknown): boolean {
  return typeof v === "object" && v !== null && "kind" in v && (v as { kind: string }).kind === "blocks";
}
