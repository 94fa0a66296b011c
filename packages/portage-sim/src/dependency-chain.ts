import type { Atom, InstalledPackage } from "@binfleet/shared/portage";
import { type Ebuild, iuseNames } from "./repository.js";

/** What a "required by" chain needs of a graph node: what it is, and who pulled it in (a node or the argument). */
export interface ChainNode {
  readonly ebuild: Ebuild | null;
  readonly installed: InstalledPackage | null;
  readonly task: { readonly kind: string } | null;
  readonly via: ChainNode | string;
}

/** The USE an atom's USE dependencies need on `e`, and the flags that changes (`ssl`, `-foo`). */
export function neededUse(atom: Atom, e: Ebuild, use: ReadonlySet<string>, parentUse: ReadonlySet<string> | undefined): { use: Set<string>; change: string[] | null } {
  const iuse = iuseNames(e);
  const out = new Set(use);
  const change: string[] = [];
  for (const dep of atom.useDeps) {
    if (!iuse.has(dep.flag)) continue;
    const on = parentUse?.has(dep.flag) ?? false;
    const want =
      dep.kind === "enabled" ? true : dep.kind === "disabled" ? false : dep.kind === "if" ? (on ? true : null) : dep.kind === "ifNot" ? (on ? null : false) : dep.kind === "equal" ? on : !on;
    if (want === null || out.has(dep.flag) === want) continue;
    if (want) out.add(dep.flag);
    else out.delete(dep.flag);
    change.push(want ? dep.flag : `-${dep.flag}`);
  }
  return { use: out, change: change.length > 0 ? change : null };
}

const nodeName = (n: ChainNode): string => (n.ebuild !== null ? `${n.ebuild.cpv.cpv}::${n.ebuild.repo}` : `${n.installed!.cpv.cpv}::${n.installed!.repo ?? "gentoo"}`);

/** `(dependency required by "…" [ebuild])` lines, from the failing package's parent up to the argument. */
export function dependencyChain(parent: ChainNode | string): string[] {
  const out: string[] = [];
  let n: ChainNode | string = parent;
  while (typeof n !== "string") {
    out.push(`(dependency required by "${nodeName(n)}" [${n.task?.kind ?? "installed"}])`);
    n = n.via;
  }
  if (n === "@world") out.push('(dependency required by "@selected" [set])', '(dependency required by "@world" [argument])');
  else out.push(`(dependency required by "${n}" [argument])`);
  return out;
}

/** `# required by …` comment lines of --autounmask messages. */
export function requiredBy<N extends ChainNode>(n: N, inWorld: (x: N) => boolean): string[] {
  const out: string[] = [];
  let v: ChainNode | string = n.via;
  let last: N = n;
  while (typeof v !== "string") {
    out.push(`# required by ${nodeName(v)}`);
    last = v as N;
    v = v.via;
  }
  if (v === "@world" || inWorld(last)) out.push("# required by @selected", "# required by @world (argument)");
  else out.push(`# required by ${v} (argument)`);
  return out;
}
