import type { InstalledPackage } from "@binfleet/shared/portage";
import type { Ebuild } from "./repository.js";

/** A node of the dependency graph, as Portage's depgraph keeps one per package slot. */
export interface GraphNode<T> {
  /** Insertion order into the graph (Portage's digraph.order before sorting). */
  readonly id: number;
  readonly ebuild: Ebuild | null;
  readonly installed: InstalledPackage | null;
  /** The merge to do, or null for an installed package that stays ("nomerge"). */
  task: T | null;
  readonly children: Set<GraphNode<T>>;
  readonly parents: Set<GraphNode<T>>;
  /** A direct member of an argument or set (never shown with parents in --tree). */
  isArg: boolean;
  /** Installed packages this package soft-blocks: uninstalled after it is merged. */
  readonly uninstalls: InstalledPackage[];
}

export type OrderedEntry<T> =
  | { readonly kind: "merge"; readonly node: GraphNode<T> }
  | { readonly kind: "uninstall"; readonly pkg: InstalledPackage; readonly blocker: GraphNode<T> }
  | { readonly kind: "blocks"; readonly blocker: GraphNode<T>; readonly pkg: InstalledPackage };

/**
 * Merge order as Portage's depgraph._serialize_tasks computes it for graphs without cycles:
 * installed root nodes nothing needs are pruned, the rest ordered by how many parents they
 * have (most first, ties in insertion order), then every round merges all leaves, or (with
 * --tree) one leaf that has a parent. A package that soft-blocks an installed one waits until
 * nothing else can be merged; it is followed by the uninstall and then the solved blocker.
 */
export function serialize<T>(all: readonly GraphNode<T>[], tree: boolean): OrderedEntry<T>[] {
  const alive = new Set(all);
  // Prune "nomerge" root nodes nothing depends on, repeatedly (as Portage does before ordering).
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of alive) {
      if (n.task === null && !hasAlive(n.parents, alive)) {
        alive.delete(n);
        changed = true;
      }
    }
  }
  const parentCount = new Map<GraphNode<T>, number>();
  for (const n of alive) parentCount.set(n, countAlive(n.parents, alive));
  const order = [...alive].sort((a, b) => parentCount.get(b)! - parentCount.get(a)! || a.id - b.id);
  const pendingChildren = new Map<GraphNode<T>, number>();
  for (const n of order) pendingChildren.set(n, countAlive(n.children, alive));
  const blocked = new Set(order.filter((n) => n.task !== null && n.uninstalls.length > 0));
  const out: OrderedEntry<T>[] = [];

  const remove = (n: GraphNode<T>): void => {
    alive.delete(n);
    for (const p of n.parents) if (alive.has(p)) pendingChildren.set(p, pendingChildren.get(p)! - 1);
  };
  const emit = (n: GraphNode<T>): void => {
    if (n.task !== null) out.push({ kind: "merge", node: n });
  };

  while (alive.size > 0) {
    const leaves = order.filter((n) => alive.has(n) && pendingChildren.get(n) === 0 && !blocked.has(n));
    let selected: GraphNode<T>[] = [];
    if (leaves.length === 1 || (leaves.length > 1 && !tree)) selected = leaves;
    else if (leaves.length > 1) {
      const withParent = leaves.find((n) => hasAlive(n.parents, alive));
      selected = withParent === undefined ? [] : [withParent];
    }
    if (selected.length === 0) {
      // Nothing else can go: let the first package that waits on an uninstall go now.
      const waiting = order.find((n) => alive.has(n) && blocked.has(n) && pendingChildren.get(n) === 0);
      if (waiting !== undefined) {
        blocked.delete(waiting);
        remove(waiting);
        emit(waiting);
        for (const pkg of waiting.uninstalls) out.push({ kind: "uninstall", pkg, blocker: waiting });
        for (const pkg of waiting.uninstalls) out.push({ kind: "blocks", blocker: waiting, pkg });
        continue;
      }
      // Isolated leaves (--tree found none with a parent), else a cycle: break it at the first node.
      selected = leaves.length > 0 ? leaves : [order.find((n) => alive.has(n))!];
    }
    for (const n of selected) remove(n);
    for (const n of selected) emit(n);
  }
  return out;
}

function hasAlive<T>(set: ReadonlySet<T>, alive: ReadonlySet<T>): boolean {
  for (const x of set) if (alive.has(x)) return true;
  return false;
}

function countAlive<T>(set: ReadonlySet<T>, alive: ReadonlySet<T>): number {
  let n = 0;
  for (const x of set) if (alive.has(x)) n++;
  return n;
}
