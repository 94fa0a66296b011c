import { type Atom, type BinaryPackage, type InstalledPackage, atomMatches, compareVersions } from "@binfleet/shared/portage";
import type { Requirement } from "./dep-string.js";
import { reduceDeps } from "./dep-string.js";
import { dependencyChain, neededUse, requiredBy } from "./dependency-chain.js";
import { type GraphNode, type OrderedEntry, serialize } from "./merge-order.js";
import { effectiveUse, isVisible, packageRef } from "./package-settings.js";
import type { Binrepo, PortageConfig } from "./portage-config.js";
import { type Ebuild, type Repository, iuseNames } from "./repository.js";
import { unmetRequiredUse } from "./required-use.js";
import { ResolutionFailure, maskedMessage, missingMessage, requiredUseMessage } from "./resolution-failure.js";
import { pkgUseDisplay } from "./use-display.js";

/** A binary package that could stand in for an ebuild: from a binhost, or the local PKGDIR (source null). */
export interface BinaryCandidate {
  readonly pkg: BinaryPackage;
  readonly source: Binrepo | null;
  /** Bytes still to download: 0 when already in the local cache. */
  readonly downloadBytes: number;
}

export interface ResolveOptions {
  readonly update: boolean;
  readonly deep: boolean;
  readonly newuse: boolean;
  readonly emptytree: boolean;
  /** --getbinpkg / --usepkg: binaries may be used (and build-time deps of built packages are not pulled in). */
  readonly useBinaries: boolean;
  /** --getbinpkgonly / --usepkgonly: nothing is compiled. */
  readonly binariesOnly: boolean;
  /** --binpkg-respect-use (default y): a binary with other USE is not used. */
  readonly respectUse: boolean;
  /** --noreplace: an installed target is left alone (without it, and without --update, targets are reinstalled). */
  readonly noreplace: boolean;
  /** --tree: merge order picks one leaf at a time, as Portage does for the tree display. */
  readonly tree?: boolean;
  /** The world file's atoms (@selected), also when the targets are command-line atoms. */
  readonly selected?: readonly Atom[];
  /** --changed-use (--reinstall=changed-use): reinstall when enabled flags change, not IUSE. */
  readonly changedUse?: boolean;
  /** --exclude: never merged; an installed match stays, an argument without one is dropped. */
  readonly exclude?: readonly Atom[];
  /** --nodeps: only the arguments, in command-line order. */
  readonly nodeps?: boolean;
  /** --onlydeps: the arguments' dependencies, not the arguments. */
  readonly onlydeps?: boolean;
}

export interface MergeTask {
  readonly kind: "ebuild" | "binary";
  readonly ebuild: Ebuild;
  /** Enabled flags within IUSE. */
  readonly use: ReadonlySet<string>;
  readonly binary: BinaryCandidate | null;
  /** The installed package this replaces (same slot), or, for a new slot, the installed one shown in brackets. */
  readonly old: InstalledPackage | null;
  readonly flags: { readonly new: boolean; readonly newSlot: boolean; readonly replace: boolean; readonly update: boolean; readonly downgrade: boolean };
  /** Set when the package soft-blocks installed packages, which are uninstalled after it. */
  readonly uninstalls: readonly InstalledPackage[];
}

export interface BlockLine {
  readonly atom: Atom;
  readonly blocking: Ebuild;
  readonly hard: boolean;
}

/** A USE change the resolution needed (`--autounmask`): Portage shows it and stops. */
export interface UseChange {
  readonly ebuild: Ebuild;
  /** `>=cpv` when it is the newest visible version, `>=cpv:slot` when the newest of its slot, else `=cpv` (check_if_latest). */
  readonly atom: string;
  /** `ssl` to enable, `-ssl` to disable. */
  readonly flags: readonly string[];
  /** `# required by …` lines, from the package up to the argument. */
  readonly requiredBy: readonly string[];
}

export type PlanNode = GraphNode<MergeTask>;
export type PlanEntry = OrderedEntry<MergeTask>;

export interface MergePlan {
  readonly tasks: readonly MergeTask[];
  /** The merge list in Portage's order: merges, uninstalls after what blocks them, solved blockers. */
  readonly entries: readonly PlanEntry[];
  readonly blocks: readonly BlockLine[];
  /** Binaries refused for their USE: cpv and the binary's differing flags ("-ssl"). */
  readonly ignoredBinaries: readonly { readonly cpv: string; readonly flags: readonly string[] }[];
  /** World atoms nothing can satisfy (masked or missing). */
  readonly worldProblems: readonly string[];
  readonly useChanges: readonly UseChange[];
  readonly installed: readonly InstalledPackage[];
}

const slotKey = (cp: string, slot: string): string => `${cp}:${slot}`;

/** An argument --exclude drops. */
const EXCLUDED = Symbol("excluded");

function installedRef(p: InstalledPackage) {
  return { cpv: p.cpv, slot: p.slot, subslot: p.subslot, repo: p.repo ?? "", use: new Set(p.use), iuse: new Set(p.iuse.map((i) => i.replace(/^[+-]/, ""))) };
}

interface Node extends PlanNode {
  use: Set<string>;
  /** An --onlydeps argument: its dependencies are merged, it is not. */
  readonly onlydeps: boolean;
  /** Who pulled it in first, for "required by" chains: a node, or the argument's name. */
  readonly via: Node | string;
  readonly useChange: string[] | null;
}

/**
 * Resolves targets into a merge list the way `emerge [-uDN] [--getbinpkg]` does, for graphs
 * without cycles: arguments first (each command-line atom with its whole dependency tree, a set's
 * atoms sorted), dependencies popped from a stack (RDEPEND, PDEPEND, DEPEND, BDEPEND), one node per
 * package slot, then Portage's merge order (merge-order.ts).
 */
export class Resolver {
  private readonly nodes: Node[] = [];
  private readonly bySlot = new Map<string, Node>();
  private readonly byCp = new Map<string, Node[]>();
  private readonly stack: Node[] = [];
  private readonly useMemo = new Map<Ebuild, Set<string>>();
  private readonly visibleMemo = new Map<Ebuild, boolean>();
  private readonly installedBySlot = new Map<string, InstalledPackage>();
  private readonly installedByCp = new Map<string, InstalledPackage[]>();
  private readonly binariesByCpv = new Map<string, BinaryCandidate[]>();
  private readonly ignored = new Map<string, string[]>();
  private readonly worldProblems: string[] = [];
  private readonly blocks: BlockLine[] = [];
  private readonly selective: boolean;

  constructor(
    private readonly repo: Repository,
    private readonly config: PortageConfig,
    private readonly installed: readonly InstalledPackage[],
    binaries: readonly BinaryCandidate[],
    private readonly opts: ResolveOptions,
  ) {
    for (const p of installed) {
      this.installedBySlot.set(slotKey(p.cpv.cp, p.slot), p);
      let list = this.installedByCp.get(p.cpv.cp);
      if (list === undefined) this.installedByCp.set(p.cpv.cp, (list = []));
      list.push(p);
    }
    for (const list of this.installedByCp.values()) list.sort((a, b) => compareVersions(a.cpv.version, b.cpv.version));
    for (const b of binaries) {
      let list = this.binariesByCpv.get(b.pkg.cpv.cpv);
      if (list === undefined) this.binariesByCpv.set(b.pkg.cpv.cpv, (list = []));
      list.push(b);
    }
    this.selective = !opts.emptytree && (opts.update || opts.newuse || opts.noreplace);
  }

  /**
   * Resolves target atoms. `setName` ("@world") marks them as members of a set: missing ones are
   * world-file problems, not errors. Throws {@link ResolutionFailure} as emerge fails.
   */
  async resolve(targets: readonly Atom[], setName: string | null = null): Promise<MergePlan> {
    try {
      await this.addTargets(targets, setName);
    } catch (err) {
      // emerge shows the world file's problems found so far before the failure's own message.
      if (err instanceof ResolutionFailure) throw err.withWorldProblems(this.worldProblems);
      throw err;
    }
    return this.plan();
  }

  private async addTargets(targets: readonly Atom[], setName: string | null): Promise<void> {
    if (setName !== null) {
      for (const atom of [...targets].sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0))) {
        if ((await this.select(atom, setName, true)) === null) this.worldProblems.push(atom.raw);
      }
      await this.createGraph();
    } else {
      for (const atom of targets) {
        if ((await this.select(atom, atom.raw, true)) === null) throw await this.unsatisfied(atom, atom.raw, true);
        await this.createGraph();
      }
    }
  }

  private async plan(): Promise<MergePlan> {
    // --nodeps keeps the command line's order (Portage's _serialize_tasks returns early).
    const entries = this.opts.nodeps
      ? this.nodes.flatMap((node) => (node.task === null ? [] : [{ kind: "merge" as const, node }]))
      : serialize<MergeTask>(this.nodes, this.opts.tree ?? false);
    const tasks = entries.flatMap((e) => (e.kind === "merge" ? [e.node.task!] : []));
    const merging = new Set(tasks.map((t) => t.ebuild.cpv.cpv));
    return {
      tasks,
      entries,
      blocks: this.blocks,
      // Portage lists only refused binaries of packages it merges anyway.
      ignoredBinaries: [...this.ignored].filter(([cpv]) => merging.has(cpv)).map(([cpv, flags]) => ({ cpv, flags })),
      worldProblems: this.worldProblems,
      useChanges: await this.useChanges(),
      installed: this.installed,
    };
  }

  private async useChanges(): Promise<UseChange[]> {
    const out: UseChange[] = [];
    for (const n of this.nodes) {
      if (n.useChange === null || n.task === null) continue;
      const e = n.ebuild!;
      const newer = (await this.repo.versions(e.cpv.cp)).filter((x) => this.visible(x) && compareVersions(x.cpv.version, e.cpv.version) > 0);
      const atom = newer.length === 0 ? `>=${e.cpv.cpv}` : newer.some((x) => x.slot === e.slot) ? `=${e.cpv.cpv}` : `>=${e.cpv.cpv}:${e.slot}`;
      // A USE change of an installed package completes the graph with @selected (Portage's
      // --complete-graph-if-new-use): a world member then shows @selected as its parent.
      const inWorld = (x: Node): boolean =>
        n.installed !== null && x.ebuild !== null && (this.opts.selected ?? []).some((a) => atomMatches(a, packageRef(x.ebuild!)));
      out.push({ ebuild: e, atom, flags: n.useChange, requiredBy: requiredBy(n, inWorld) });
    }
    return out;
  }

  private async createGraph(): Promise<void> {
    if (this.opts.nodeps) return;
    for (let n = this.stack.pop(); n !== undefined; n = this.stack.pop()) await this.addDeps(n);
  }

  private async addDeps(n: Node): Promise<void> {
    const e = n.ebuild;
    if (e === null) return;
    const built = (n.task === null && !n.onlydeps) || n.task?.kind === "binary";
    // Built packages skip build-time deps when binaries are in use (Portage's bdeps "auto" otherwise).
    const texts = built && this.opts.useBinaries ? [e.rdepend, e.pdepend] : [e.rdepend, e.pdepend, e.depend, e.bdepend];
    for (const text of texts) {
      if (text === "") continue;
      for (const r of reduceDeps(this.repo.deps(text), n.use)) await this.satisfy(r, n);
    }
  }

  private async satisfy(r: Requirement, parent: Node): Promise<void> {
    if ("anyOf" in r) {
      // First alternative already installed or in the graph, else the first that resolves.
      const preferred = r.anyOf.find((alt) => alt.every((a) => "anyOf" in a || a.blocker !== null || this.isInstalledOrChosen(a)));
      for (const alt of preferred === undefined ? r.anyOf : [preferred]) {
        try {
          for (const a of alt) await this.satisfy(a, parent);
          return;
        } catch (err) {
          if (!(err instanceof ResolutionFailure)) throw err;
        }
      }
      throw new ResolutionFailure(`unsatisfied any-of dependency of ${parent.ebuild?.cpv.cpv}`, 1, "", 1);
    }
    if (r.blocker !== null) {
      if (parent.task !== null && parent.ebuild !== null) this.block(r, parent);
      return;
    }
    const child = await this.select(r, parent, false);
    if (child === null || child === EXCLUDED) throw await this.unsatisfied(r, parent, false);
    if (child !== parent) {
      parent.children.add(child);
      child.parents.add(parent);
    }
  }

  private async unsatisfied(atom: Atom, via: Node | string, isArg: boolean): Promise<ResolutionFailure> {
    const masked = (await this.repo.versions(atom.cp)).filter((e) => atomMatches(atom, packageRef(e))).reverse();
    const chain = isArg ? [] : dependencyChain(via);
    const backtracked = isArg ? 0 : 1;
    if (masked.length > 0 && masked.some((e) => !this.visible(e))) {
      return new ResolutionFailure("masked", 1, maskedMessage(atom, masked.filter((e) => !this.visible(e)), this.config, chain), backtracked);
    }
    const names = isArg ? [...new Set([...(await this.repo.allCps()), ...this.installedByCp.keys()])] : null;
    return new ResolutionFailure("no ebuilds", 1, missingMessage(atom.raw, atom.cp, chain, names, this.opts.binariesOnly), backtracked);
  }

  /** Picks what satisfies `atom` and puts it in the graph; null when nothing can, EXCLUDED for an --exclude'd argument. */
  private async select(atom: Atom, via: Node | string, isTarget: boolean): Promise<Node | typeof EXCLUDED | null> {
    const parentUse = typeof via === "string" ? undefined : via.use;
    const matchOpts = parentUse === undefined ? {} : { parentUse };
    for (const n of this.byCp.get(atom.cp) ?? []) {
      if (this.fits(atom, n, parentUse)) return this.mark(n, isTarget);
    }
    // USE dependencies are checked against each candidate's USE below, not here.
    const bare = atom.useDeps.length === 0 ? atom : { ...atom, useDeps: [] };
    let candidates = (await this.repo.versions(atom.cp)).filter((e) => this.visible(e) && atomMatches(bare, packageRef(e)));
    const installedMatch = (this.installedByCp.get(atom.cp) ?? []).filter((p) => atomMatches(atom, installedRef(p), matchOpts));
    if (this.opts.binariesOnly) {
      candidates = candidates.filter((e) => installedMatch.some((p) => p.cpv.cpv === e.cpv.cpv) || this.pickBinary(e, this.useOf(e)) !== null);
    }
    const wantUpdate = this.opts.update && (isTarget || this.opts.deep);
    const keepInstalled = !this.opts.emptytree && installedMatch.length > 0 && (isTarget ? this.selective && !this.opts.update : !wantUpdate);
    let pick: Ebuild | null = null;
    let use: Set<string> = new Set();
    let useChange: string[] | null = null;
    if (keepInstalled) {
      const inst = installedMatch[installedMatch.length - 1]!;
      pick = candidates.find((e) => e.cpv.cpv === inst.cpv.cpv) ?? null;
      if (pick === null) return this.addInstalled(inst, via, isTarget);
      use = this.useOf(pick);
    } else {
      for (let i = candidates.length - 1; i >= 0 && pick === null; i--) {
        const u = this.useOf(candidates[i]!);
        if (this.fitsEbuild(atom, candidates[i]!, u, parentUse)) {
          pick = candidates[i]!;
          use = u;
        }
      }
      if (pick === null && candidates.length > 0) {
        // Only a USE change would do: Portage's --autounmask proposes it (and stops after showing it).
        pick = candidates[candidates.length - 1]!;
        ({ use, change: useChange } = neededUse(atom, pick, this.useOf(pick), parentUse));
      }
    }
    if (pick === null) {
      // Gone from the tree (or masked) but installed: keep it, as emerge does, unless an argument asks
      // for it to be merged again (then it must be visible).
      if (installedMatch.length > 0 && !(isTarget && !this.selective)) return this.addInstalled(installedMatch[installedMatch.length - 1]!, via, isTarget);
      return null;
    }
    if ((this.opts.exclude ?? []).some((a) => atomMatches(a, packageRef(pick!)))) {
      if (installedMatch.length > 0) return this.addInstalled(installedMatch[installedMatch.length - 1]!, via, isTarget);
      if (isTarget) return EXCLUDED;
    }
    const key = slotKey(pick.cpv.cp, pick.slot);
    const inst = this.installedBySlot.get(key) ?? null;
    // An installed package in the slot that does not satisfy the atom (its USE) must be rebuilt.
    const mustReplace = inst !== null && inst.cpv.cpv === pick.cpv.cpv && !installedMatch.includes(inst);
    const onlydeps = isTarget && (this.opts.onlydeps ?? false);
    const task = onlydeps ? null : this.taskFor(pick, use, inst, isTarget, mustReplace);
    if (task?.kind === "ebuild") this.checkRequiredUse(atom, pick, use, via, isTarget);
    return this.addNode({ ebuild: pick, installed: inst, task, use, via, isArg: isTarget, useChange, onlydeps });
  }

  /** An ebuild to build must meet its REQUIRED_USE with the USE it gets, or emerge stops. */
  private checkRequiredUse(atom: Atom, e: Ebuild, use: ReadonlySet<string>, via: Node | string, isTarget: boolean): void {
    if (e.requiredUse === "") return;
    const unmet = unmetRequiredUse(e.requiredUse, use);
    if (unmet === null) return;
    const display = pkgUseDisplay(
      e.iuse.map((i) => i.name),
      use,
      new Set([...this.config.useForce, ...this.config.useMask]),
      { useExpand: this.config.useExpand, useExpandHidden: this.config.useExpandHidden },
    );
    const problem = !isTarget ? "" : `\n\n!!! Problem resolving dependencies for ${via === "@world" ? `${atom.raw} from @selected` : atom.raw}\n`;
    const chain = isTarget && via !== "@world" ? [] : dependencyChain(via);
    throw new ResolutionFailure("unmet REQUIRED_USE", 1, requiredUseMessage(atom.raw, `${e.cpv.cpv}::${e.repo}`, display, unmet, chain), 0, problem);
  }

  private mark(n: Node, isTarget: boolean): Node {
    if (isTarget) n.isArg = true;
    return n;
  }

  private addInstalled(inst: InstalledPackage, via: Node | string, isTarget: boolean): Node {
    const existing = this.bySlot.get(slotKey(inst.cpv.cp, inst.slot));
    if (existing !== undefined) return this.mark(existing, isTarget);
    return this.addNode({ ebuild: null, installed: inst, task: null, use: new Set(inst.use), via, isArg: isTarget, useChange: null, onlydeps: false });
  }

  private addNode(init: Pick<Node, "ebuild" | "installed" | "task" | "use" | "via" | "isArg" | "useChange" | "onlydeps">): Node {
    const cp = init.ebuild?.cpv.cp ?? init.installed!.cpv.cp;
    const slot = init.ebuild?.slot ?? init.installed!.slot;
    const n: Node = { ...init, id: this.nodes.length, children: new Set(), parents: new Set(), uninstalls: [] };
    this.nodes.push(n);
    this.bySlot.set(slotKey(cp, slot), n);
    let list = this.byCp.get(cp);
    if (list === undefined) this.byCp.set(cp, (list = []));
    list.push(n);
    // Installed packages that stay are traversed only with --deep (Portage's "recurse" depth).
    if (n.task !== null || n.onlydeps || this.opts.deep) this.stack.push(n);
    return n;
  }

  private useOf(e: Ebuild): Set<string> {
    let u = this.useMemo.get(e);
    if (u === undefined) this.useMemo.set(e, (u = effectiveUse(e, this.config)));
    return u;
  }

  private visible(e: Ebuild): boolean {
    let v = this.visibleMemo.get(e);
    if (v === undefined) this.visibleMemo.set(e, (v = isVisible(e, this.config)));
    return v;
  }

  private fits(atom: Atom, n: Node, parentUse: ReadonlySet<string> | undefined): boolean {
    if (n.ebuild !== null) return this.fitsEbuild(atom, n.ebuild, n.use, parentUse);
    return atomMatches(atom, installedRef(n.installed!), parentUse === undefined ? {} : { parentUse });
  }

  private fitsEbuild(atom: Atom, e: Ebuild, use: ReadonlySet<string>, parentUse: ReadonlySet<string> | undefined): boolean {
    return atomMatches(atom, { ...packageRef(e), use, iuse: iuseNames(e) }, parentUse === undefined ? {} : { parentUse });
  }

  private isInstalledOrChosen(a: Atom): boolean {
    return (this.installedByCp.get(a.cp) ?? []).some((p) => atomMatches(a, installedRef(p))) || this.byCp.has(a.cp);
  }

  private block(atom: Atom, parent: Node): void {
    for (const inst of this.installedByCp.get(atom.cp) ?? []) {
      if (inst.cpv.cp === parent.ebuild!.cpv.cp || !atomMatches(atom, installedRef(inst))) continue;
      const replaced = this.bySlot.get(slotKey(inst.cpv.cp, inst.slot));
      if (replaced !== undefined && replaced.task !== null) continue; // being replaced by a non-blocked version
      const hard = atom.blocker === "strong";
      this.blocks.push({ atom, blocking: parent.ebuild!, hard });
      if (!hard) {
        parent.uninstalls.push(inst);
        parent.task = { ...parent.task!, uninstalls: [...parent.uninstalls] };
      }
    }
  }

  private taskFor(e: Ebuild, use: ReadonlySet<string>, inst: InstalledPackage | null, isTarget: boolean, mustReplace: boolean): MergeTask | null {
    const otherSlot = inst === null ? (this.installedByCp.get(e.cpv.cp) ?? [])[0] ?? null : null;
    let flags = { new: false, newSlot: false, replace: false, update: false, downgrade: false };
    let rebuilt: BinaryCandidate | null = null;
    if (inst === null) {
      flags = { ...flags, new: true, newSlot: otherSlot !== null };
    } else {
      const c = compareVersions(e.cpv.version, inst.cpv.version);
      if (c === 0) {
        const explicit = isTarget && !this.selective;
        rebuilt = this.rebuiltBinary(e, use, inst);
        const newUse = (this.opts.newuse || (this.opts.changedUse ?? false)) && this.useChanged(e, use, inst);
        if (!explicit && !mustReplace && !this.opts.emptytree && !newUse && rebuilt === null) return null;
        flags = { ...flags, replace: true };
      } else {
        flags = { ...flags, update: true, downgrade: c < 0 };
      }
    }
    const binary = rebuilt ?? (this.opts.useBinaries ? this.pickBinary(e, use) : null);
    if (this.opts.binariesOnly && binary === null) return null;
    return { kind: binary === null ? "ebuild" : "binary", ebuild: e, use, binary, old: inst ?? otherSlot, flags, uninstalls: [] };
  }

  /**
   * --rebuilt-binaries (implied by --usepkgonly/--getbinpkgonly with -uD): a binary of the installed
   * version whose BUILD_TIME differs replaces it.
   */
  private rebuiltBinary(e: Ebuild, use: ReadonlySet<string>, inst: InstalledPackage): BinaryCandidate | null {
    if (!(this.opts.binariesOnly && this.opts.update && this.opts.deep)) return null;
    const b = this.pickBinary(e, use);
    return b !== null && b.pkg.buildTime !== null && b.pkg.buildTime !== inst.buildTime ? b : null;
  }

  /**
   * Portage's _reinstall_for_flags: --newuse counts flags added to or dropped from IUSE (forced ones
   * aside) and enabled flags that changed; --changed-use only the latter.
   */
  private useChanged(e: Ebuild, use: ReadonlySet<string>, inst: InstalledPackage): boolean {
    const now = iuseNames(e);
    const before = new Set(inst.iuse.map((i) => i.replace(/^[+-]/, "")));
    if (this.opts.newuse) {
      for (const f of [...now, ...before]) {
        if (now.has(f) !== before.has(f) && !this.config.useForce.has(f) && !this.config.useMask.has(f)) return true;
      }
    }
    const had = new Set(inst.use);
    for (const f of new Set([...now, ...before])) if ((now.has(f) && use.has(f)) !== (before.has(f) && had.has(f))) return true;
    return false;
  }

  /** A binary whose USE matches (with --newuse or --binpkg-respect-use), from the best source, newest build. */
  private pickBinary(e: Ebuild, use: ReadonlySet<string>): BinaryCandidate | null {
    const iuse = iuseNames(e);
    const checkUse = this.opts.respectUse || this.opts.newuse || (this.opts.changedUse ?? false);
    let best: BinaryCandidate | null = null;
    for (const b of this.binariesByCpv.get(e.cpv.cpv) ?? []) {
      const bUse = new Set(b.pkg.use);
      const differing = [...iuse].filter((f) => bUse.has(f) !== use.has(f)).sort();
      if (checkUse && differing.length > 0) {
        if (!this.ignored.has(e.cpv.cpv)) this.ignored.set(e.cpv.cpv, differing.map((f) => (bUse.has(f) ? f : `-${f}`)));
        continue;
      }
      if (best === null || (b.source?.priority ?? 1e9) > (best.source?.priority ?? 1e9) || (b.pkg.buildId ?? 0) > (best.pkg.buildId ?? 0)) best = b;
    }
    if (best !== null) this.ignored.delete(e.cpv.cpv);
    return best;
  }
}
