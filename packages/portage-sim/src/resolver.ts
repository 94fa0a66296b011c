import { type Atom, type BinaryPackage, type InstalledPackage, atomMatches, compareVersions } from "@binfleet/shared/portage";
import type { Requirement } from "./dep-string.js";
import { reduceDeps } from "./dep-string.js";
import { SimError } from "./errors.js";
import { effectiveUse, isVisible, maskReason, packageRef } from "./package-settings.js";
import type { Binrepo, PortageConfig } from "./portage-config.js";
import { type Ebuild, type Repository, iuseNames } from "./repository.js";

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
  /** --getbinpkg / --usepkg: binaries may be used. */
  readonly useBinaries: boolean;
  /** --getbinpkgonly / --usepkgonly: nothing is compiled. */
  readonly binariesOnly: boolean;
  /** --binpkg-respect-use (default y): a binary with other USE is not used. */
  readonly respectUse: boolean;
  /** --noreplace: an installed target is left alone (without it, and without --update, targets are reinstalled). */
  readonly noreplace: boolean;
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

export interface MergePlan {
  readonly tasks: readonly MergeTask[];
  readonly blocks: readonly BlockLine[];
  /** Binaries refused by --binpkg-respect-use: cpv and the binary's differing flags ("-ssl"). */
  readonly ignoredBinaries: readonly { readonly cpv: string; readonly flags: readonly string[] }[];
  /** World atoms nothing can satisfy (masked or missing). */
  readonly worldProblems: readonly string[];
}

interface Choice {
  readonly key: string;
  readonly ebuild: Ebuild | null;
  readonly installed: InstalledPackage | null;
  readonly use: ReadonlySet<string>;
  task: MergeTask | null;
  rank: number;
  readonly seq: number;
  readonly deps: Set<string>;
}

const slotKey = (cp: string, slot: string): string => `${cp}:${slot}`;

function memo<K, V>(map: Map<K, V>, key: K, compute: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = compute();
    map.set(key, v);
  }
  return v;
}

function installedRef(p: InstalledPackage) {
  return { cpv: p.cpv, slot: p.slot, subslot: p.subslot, repo: p.repo ?? "", use: new Set(p.use), iuse: new Set(p.iuse.map((i) => i.replace(/^[+-]/, ""))) };
}

/** Resolves targets into a merge list the way `emerge [-uDN] [--getbinpkg]` would, for the common cases. */
export class Resolver {
  private readonly chosen = new Map<string, Choice>();
  private readonly chosenByCp = new Map<string, Choice[]>();
  private readonly useMemo = new Map<Ebuild, Set<string>>();
  private readonly visibleMemo = new Map<Ebuild, boolean>();
  private readonly installedBySlot = new Map<string, InstalledPackage>();
  private readonly installedByCp = new Map<string, InstalledPackage[]>();
  private readonly binariesByCpv = new Map<string, BinaryCandidate[]>();
  private readonly ignored = new Map<string, string[]>();
  private readonly worldProblems: string[] = [];
  private readonly blocks: BlockLine[] = [];
  private seq = 0;

  constructor(
    private readonly repo: Repository,
    private readonly config: PortageConfig,
    installed: readonly InstalledPackage[],
    binaries: readonly BinaryCandidate[],
    private readonly opts: ResolveOptions,
  ) {
    for (const p of installed) {
      this.installedBySlot.set(slotKey(p.cpv.cp, p.slot), p);
      this.installedByCp.set(p.cpv.cp, [...(this.installedByCp.get(p.cpv.cp) ?? []), p]);
    }
    for (const b of binaries) {
      const list = this.binariesByCpv.get(b.pkg.cpv.cpv) ?? [];
      list.push(b);
      this.binariesByCpv.set(b.pkg.cpv.cpv, list);
    }
  }

  /** Resolves target atoms (e.g. the world set, in file order) into an ordered plan. */
  async resolve(targets: readonly Atom[], { strictTargets }: { strictTargets: boolean }): Promise<MergePlan> {
    for (let i = 0; i < targets.length; i++) {
      const atom = targets[i]!;
      const key = await this.require(atom, null, i, true);
      if (key === null) {
        if (strictTargets) throw await this.noEbuilds(atom);
        this.worldProblems.push(atom.raw);
      }
    }
    return {
      tasks: this.order(),
      blocks: this.blocks,
      ignoredBinaries: [...this.ignored].map(([cpv, flags]) => ({ cpv, flags })),
      worldProblems: this.worldProblems,
    };
  }

  private async noEbuilds(atom: Atom): Promise<SimError> {
    const all = await this.repo.versions(atom.cp);
    if (all.length > 0) {
      const lines = all.filter((e) => atomMatches(atom, packageRef(e))).map((e) => `- ${e.cpv.cpv}::${e.repo} (masked by: ${maskReason(e, this.config)})`);
      return new SimError("masked", 1, `\n!!! All ebuilds that could satisfy "${atom.raw}" have been masked.\n!!! One of the following masked packages is required to complete your request:\n${lines.join("\n")}\n\nFor more information, see the MASKED PACKAGES section in the emerge\nman page or refer to the Gentoo Handbook.\n\n`);
    }
    return new SimError("no ebuilds", 1, `\nemerge: there are no ebuilds to satisfy "${atom.raw}".\n\n`);
  }

  /** Picks what satisfies `atom`; returns the choice key, or null when nothing can. */
  private async require(atom: Atom, parent: Choice | null, rank: number, isTarget: boolean): Promise<string | null> {
    const parentUse = parent?.use;
    // Something already chosen for this package that fits.
    for (const c of this.chosenByCp.get(atom.cp) ?? []) {
      if (c.ebuild !== null && this.fits(atom, c.ebuild, c.use, parentUse)) {
        if (isTarget) c.rank = rank;
        return c.key;
      }
      if (c.ebuild === null && c.installed !== null && atomMatches(atom, installedRef(c.installed), parentUse === undefined ? {} : { parentUse })) {
        return c.key;
      }
    }
    const candidates = (await this.repo.versions(atom.cp)).filter((e) => this.visible(e) && atomMatches(atom, packageRef(e)));
    const installedMatch = (this.installedByCp.get(atom.cp) ?? []).filter((p) => atomMatches(atom, installedRef(p), parentUse === undefined ? {} : { parentUse }));
    let pick: Ebuild | null = null;
    let pickUse: Set<string> = new Set();
    const wantUpdate = this.opts.update && (isTarget || this.opts.deep);
    if (!wantUpdate && !isTarget && !this.opts.emptytree && installedMatch.length > 0) {
      const inst = installedMatch[installedMatch.length - 1]!;
      pick = candidates.find((e) => e.cpv.cpv === inst.cpv.cpv) ?? null;
      if (pick === null) return this.keepInstalled(inst, rank);
      pickUse = this.useOf(pick);
    } else {
      for (let i = candidates.length - 1; i >= 0; i--) {
        const use = this.useOf(candidates[i]!);
        if (this.fits(atom, candidates[i]!, use, parentUse)) {
          pick = candidates[i]!;
          pickUse = use;
          break;
        }
      }
      if (pick === null && candidates.length > 0) {
        pick = candidates[candidates.length - 1]!;
        pickUse = this.useOf(pick);
      }
    }
    if (pick === null) {
      // Gone from the tree (or masked) but installed: keep it, as emerge does.
      if (installedMatch.length > 0) return this.keepInstalled(installedMatch[installedMatch.length - 1]!, rank);
      return null;
    }
    return this.choose(pick, pickUse, rank, isTarget);
  }

  private useOf(e: Ebuild): Set<string> {
    return memo(this.useMemo, e, () => effectiveUse(e, this.config));
  }

  private visible(e: Ebuild): boolean {
    return memo(this.visibleMemo, e, () => isVisible(e, this.config));
  }

  private remember(c: Choice): void {
    this.chosen.set(c.key, c);
    const cp = c.key.slice(0, c.key.lastIndexOf(":"));
    this.chosenByCp.set(cp, [...(this.chosenByCp.get(cp) ?? []), c]);
  }

  private fits(atom: Atom, e: Ebuild, use: ReadonlySet<string>, parentUse: ReadonlySet<string> | undefined): boolean {
    const ref = { ...packageRef(e), use, iuse: iuseNames(e) };
    return atomMatches(atom, ref, parentUse === undefined ? {} : { parentUse });
  }

  private keepInstalled(inst: InstalledPackage, rank: number): string {
    const key = slotKey(inst.cpv.cp, inst.slot);
    if (!this.chosen.has(key)) {
      this.remember({ key, ebuild: null, installed: inst, use: new Set(inst.use), task: null, rank, seq: this.seq++, deps: new Set() });
    }
    return key;
  }

  private async choose(e: Ebuild, use: Set<string>, rank: number, isTarget: boolean): Promise<string> {
    const key = slotKey(e.cpv.cp, e.slot);
    const existing = this.chosen.get(key);
    if (existing !== undefined) return key;
    const inst = this.installedBySlot.get(key) ?? null;
    const choice: Choice = { key, ebuild: e, installed: inst, use, task: null, rank, seq: this.seq++, deps: new Set() };
    this.remember(choice);
    choice.task = this.taskFor(e, use, inst, isTarget);

    if (choice.task === null && !this.opts.deep) return key;
    const depText =
      choice.task === null || choice.task.kind === "binary"
        ? [e.rdepend, e.pdepend]
        : [e.depend, e.bdepend, e.rdepend, e.pdepend];
    const reqs = depText.filter((d) => d !== "").flatMap((d) => reduceDeps(this.repo.deps(d), use));
    for (const r of reqs) await this.satisfy(r, choice, rank);
    return key;
  }

  private async satisfy(r: Requirement, parent: Choice, rank: number): Promise<void> {
    if ("anyOf" in r) {
      // First alternative that is installed or already chosen, else the first that resolves.
      const installedFirst = r.anyOf.find((alt) => alt.every((a) => "anyOf" in a || a.blocker !== null || this.isInstalledOrChosen(a)));
      for (const alt of installedFirst === undefined ? r.anyOf : [installedFirst]) {
        try {
          for (const a of alt) await this.satisfy(a, parent, rank);
          return;
        } catch (err) {
          if (!(err instanceof SimError)) throw err;
        }
      }
      throw new SimError(`unsatisfied any-of dependency of ${parent.ebuild?.cpv.cpv}`);
    }
    if (r.blocker !== null) {
      if (parent.task !== null && parent.ebuild !== null) this.block(r, parent);
      return;
    }
    const key = await this.require(r, parent, rank, false);
    if (key === null) {
      throw new SimError("unsatisfied", 1, `\nemerge: there are no ebuilds to satisfy "${r.raw}".\n(dependency required by "${parent.ebuild?.cpv.cpv}::${parent.ebuild?.repo}" [ebuild])\n\n`);
    }
    if (key !== parent.key) parent.deps.add(key);
  }

  private isInstalledOrChosen(a: Atom): boolean {
    return (this.installedByCp.get(a.cp) ?? []).some((p) => atomMatches(a, installedRef(p))) || this.chosenByCp.has(a.cp);
  }

  private block(atom: Atom, parent: Choice): void {
    for (const inst of this.installedByCp.get(atom.cp) ?? []) {
      if (inst.cpv.cp === parent.ebuild!.cpv.cp || !atomMatches(atom, installedRef(inst))) continue;
      const replaced = this.chosen.get(slotKey(inst.cpv.cp, inst.slot));
      if (replaced?.task !== null && replaced?.task !== undefined) continue; // being replaced by a non-blocked version
      const hard = atom.blocker === "strong";
      this.blocks.push({ atom, blocking: parent.ebuild!, hard });
      if (!hard) parent.task = { ...parent.task!, uninstalls: [...parent.task!.uninstalls, inst] };
    }
  }

  private taskFor(e: Ebuild, use: ReadonlySet<string>, inst: InstalledPackage | null, isTarget: boolean): MergeTask | null {
    const otherSlot = inst === null ? (this.installedByCp.get(e.cpv.cp) ?? [])[0] ?? null : null;
    let flags = { new: false, newSlot: false, replace: false, update: false, downgrade: false };
    if (inst === null) {
      flags = { ...flags, new: true, newSlot: otherSlot !== null };
    } else {
      const c = compareVersions(e.cpv.version, inst.cpv.version);
      if (c === 0) {
        const explicit = isTarget && !this.opts.update && !this.opts.noreplace;
        if (!explicit && !this.opts.emptytree && !(this.opts.newuse && this.useChanged(e, use, inst))) return null;
        flags = { ...flags, replace: true };
      } else {
        flags = { ...flags, update: true, downgrade: c < 0 };
      }
    }
    let binary: BinaryCandidate | null = null;
    if (this.opts.useBinaries) binary = this.pickBinary(e, use);
    if (this.opts.binariesOnly && binary === null) return null;
    return { kind: binary === null ? "ebuild" : "binary", ebuild: e, use, binary, old: inst ?? otherSlot, flags, uninstalls: [] };
  }

  /** --newuse: IUSE gained or lost a flag, or a flag in both changed state. */
  private useChanged(e: Ebuild, use: ReadonlySet<string>, inst: InstalledPackage): boolean {
    const now = iuseNames(e);
    const before = new Set(inst.iuse.map((i) => i.replace(/^[+-]/, "")));
    if (now.size !== before.size || [...now].some((f) => !before.has(f))) return true;
    const had = new Set(inst.use);
    return [...now].some((f) => use.has(f) !== had.has(f));
  }

  private pickBinary(e: Ebuild, use: ReadonlySet<string>): BinaryCandidate | null {
    const iuse = iuseNames(e);
    let best: BinaryCandidate | null = null;
    for (const b of this.binariesByCpv.get(e.cpv.cpv) ?? []) {
      const bUse = new Set(b.pkg.use);
      const differing = [...iuse].filter((f) => bUse.has(f) !== use.has(f)).sort();
      if (this.opts.respectUse && differing.length > 0) {
        if (!this.ignored.has(e.cpv.cpv)) this.ignored.set(e.cpv.cpv, differing.map((f) => (bUse.has(f) ? f : `-${f}`)));
        continue;
      }
      // Prefer the higher-priority source, then the newest build.
      if (best === null || (b.source?.priority ?? 1e9) > (best.source?.priority ?? 1e9) || (b.pkg.buildId ?? 0) > (best.pkg.buildId ?? 0)) best = b;
    }
    if (best !== null) this.ignored.delete(e.cpv.cpv);
    return best;
  }

  /**
   * Merge order: dependencies first; otherwise in the order of the world entries
   * that asked for them; packages that soft-block installed ones go last, each
   * followed by the uninstall it causes (what emerge prints for these cases).
   */
  private order(): MergeTask[] {
    const tasks = [...this.chosen.values()].filter((c) => c.task !== null);
    const pending = new Map(tasks.map((c) => [c.key, c]));
    const out: MergeTask[] = [];
    const ready = (c: Choice): boolean => [...c.deps].every((d) => !pending.has(d) || d === c.key);
    const cmp = (a: Choice, b: Choice): number => {
      const da = a.task!.uninstalls.length > 0 ? 1 : 0;
      const db = b.task!.uninstalls.length > 0 ? 1 : 0;
      return da - db || a.rank - b.rank || a.seq - b.seq;
    };
    while (pending.size > 0) {
      let next = [...pending.values()].filter(ready).sort(cmp)[0];
      // A dependency cycle: break it at the earliest entry, as emerge does with a warning.
      next ??= [...pending.values()].sort(cmp)[0]!;
      pending.delete(next.key);
      out.push(next.task!);
    }
    return out;
  }
}
