import { type Cpv, type InstalledPackage, compareVersions } from "@binfleet/shared/portage";
import { isHardMasked, keywordMask } from "./package-settings.js";
import type { PortageConfig } from "./portage-config.js";
import type { MergePlan, MergeTask, PlanNode } from "./resolver.js";
import { type TreeItem, treeDisplay } from "./tree-display.js";
import { useString } from "./use-display.js";

/** Portage's localized_size: whole KiB rounded up, with thousands separators. */
export function formatKiB(bytes: number): string {
  // By hand: toLocaleString costs more than the rest of a merge-list line.
  return `${String(Math.ceil(bytes / 1024)).replace(/\B(?=(\d{3})+$)/g, ",")} KiB`;
}

/** Download size of a task: the binary still to fetch, or distfiles not yet in DISTDIR. */
export type SizeOf = (task: MergeTask) => number;

export interface DisplayOptions {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly columns: boolean;
  readonly tree: boolean;
}

/** One package as the merge list shows it. */
interface Shown {
  readonly operation: "merge" | "nomerge" | "uninstall";
  readonly type: "ebuild" | "binary" | "installed";
  readonly cpv: Cpv;
  readonly slot: string;
  readonly subslot: string;
  readonly repo: string;
  readonly buildId: number | null;
  readonly remote: boolean;
  readonly iuse: readonly string[];
  readonly use: ReadonlySet<string>;
  readonly mask: string;
  readonly task: MergeTask | null;
}

const COLUMN_WIDTH = 130;

function shownTask(task: MergeTask, operation: Shown["operation"], config: PortageConfig): Shown {
  const e = task.ebuild;
  const iuse = e.iuse.map((i) => i.name);
  const binary = task.kind === "binary" ? task.binary : null;
  const km = keywordMask(e, config);
  return {
    operation,
    type: task.kind,
    cpv: e.cpv,
    slot: e.slot,
    subslot: e.subslot,
    repo: e.repo,
    buildId: binary?.pkg.buildId ?? null,
    remote: binary !== null && binary.source !== null,
    iuse,
    use: binary === null ? task.use : new Set(binary.pkg.use.filter((f) => iuse.includes(f))),
    mask: isHardMasked(e, config) ? "#" : km === "missing" ? "*" : km === "unstable" ? "~" : " ",
    task,
  };
}

function shownInstalled(p: InstalledPackage): Shown {
  return {
    operation: "uninstall",
    type: "installed",
    cpv: p.cpv,
    slot: p.slot,
    subslot: p.subslot,
    repo: p.repo ?? "gentoo",
    buildId: null,
    remote: false,
    iuse: p.iuse.map((i) => i.replace(/^[+-]/, "")),
    use: new Set(p.use),
    mask: " ",
    task: null,
  };
}

const slotPair = (slot: string, subslot: string): string => `${slot}/${subslot}`;

/** Formats the merge list (stdout) of a resolved plan as Portage's Display does. */
export class MergeListDisplay {
  private readonly verbosity: 1 | 2 | 3;
  private readonly counters = { upgrades: 0, downgrades: 0, new: 0, newslot: 0, reinst: 0, uninst: 0, blocks: 0, blocksSatisfied: 0, binary: 0, totalsize: 0 };
  private readonly installedByCp = new Map<string, InstalledPackage[]>();

  constructor(
    private readonly plan: MergePlan,
    private readonly config: PortageConfig,
    private readonly sizeOf: SizeOf,
    private readonly opts: DisplayOptions,
  ) {
    this.verbosity = opts.quiet ? 1 : opts.verbose ? 3 : 2;
    for (const p of plan.installed) this.installedByCp.set(p.cpv.cp, [...(this.installedByCp.get(p.cpv.cp) ?? []), p]);
    for (const list of this.installedByCp.values()) list.sort((a, b) => compareVersions(a.cpv.version, b.cpv.version));
  }

  text(): string {
    const items = this.items();
    const lines: string[] = [];
    const unsatisfied: string[] = [];
    for (const { item, depth, ordered } of items) {
      const indent = " ".repeat(depth);
      if (item.kind === "blocks") {
        this.counters.blocks++;
        if (item.satisfied) this.counters.blocksSatisfied++;
        const line = this.blockerLine(item.atom, item.parent, item.satisfied, indent);
        if (!item.satisfied) unsatisfied.push(line);
        else if (!this.opts.columns) lines.push(line);
        continue;
      }
      const line = this.packageLine(item.pkg, ordered, indent);
      if (!(this.opts.columns && item.pkg.operation === "uninstall")) lines.push(line);
    }
    let out = [...lines, ...unsatisfied].map((l) => `${l}\n`).join("");
    if (this.verbosity === 3) out += `\n${this.totals()}\n`;
    return out;
  }

  /** The entries in display order (reversed into a tree with --tree), unsatisfied blockers last. */
  private items(): { item: TreeItem<Shown, MergeTask>; depth: number; ordered: boolean }[] {
    const ordered: TreeItem<Shown, MergeTask>[] = [];
    const merged = new Map<PlanNode, Shown>();
    for (const e of this.plan.entries) {
      if (e.kind === "merge") {
        const s = shownTask(e.node.task!, "merge", this.config);
        merged.set(e.node, s);
        ordered.push({ kind: "package", pkg: s, node: e.node });
      } else if (e.kind === "uninstall") {
        ordered.push({ kind: "package", pkg: shownInstalled(e.pkg), node: null, uninstallFor: e.blocker });
      } else {
        ordered.push({ kind: "blocks", atom: blockerAtom(this.plan, e.blocker, e.pkg), parent: e.blocker.ebuild!.cpv.cpv, satisfied: true, node: e.blocker });
      }
    }
    const unsatisfied = this.plan.blocks
      .filter((b) => b.hard)
      .map((b) => ({ item: { kind: "blocks" as const, atom: b.atom.raw.replace(/^!!?/, ""), parent: b.blocking.cpv.cpv, satisfied: false, node: null }, depth: 0, ordered: true }));
    if (!this.opts.tree) return [...ordered.map((item) => ({ item, depth: 0, ordered: true })), ...unsatisfied];
    const asNomerge = (n: PlanNode): Shown => {
      const s = merged.get(n);
      return s !== undefined ? { ...s, operation: "nomerge" } : { ...shownInstalled(n.installed!), operation: "nomerge" };
    };
    return [...treeDisplay([...ordered].reverse(), asNomerge), ...unsatisfied];
  }

  private previous(pkg: Shown): InstalledPackage | null {
    const all = this.installedByCp.get(pkg.cpv.cp) ?? [];
    return all.find((p) => p.cpv.cpv === pkg.cpv.cpv) ?? all.find((p) => p.slot === pkg.slot) ?? all[all.length - 1] ?? null;
  }

  private packageLine(pkg: Shown, ordered: boolean, indent: string): string {
    const merge = ordered && pkg.operation === "merge";
    const all = this.installedByCp.get(pkg.cpv.cp) ?? [];
    const attr = { new: false, newSlot: false, replace: false, newVersion: false, downgrade: false };
    let oldbest: InstalledPackage[] = [];
    const same = all.find((p) => p.cpv.cpv === pkg.cpv.cpv);
    if (same !== undefined) {
      attr.replace = true;
      if (same.slot !== pkg.slot || same.subslot !== pkg.subslot || (same.repo ?? "gentoo") !== pkg.repo) oldbest = [same];
      if (merge) this.counters.reinst++;
    } else if (all.length > 0) {
      const inSlot = all.filter((p) => p.slot === pkg.slot);
      if (inSlot.length > 0) {
        oldbest = inSlot;
        attr.newVersion = true;
        if (compareVersions(pkg.cpv.version, inSlot[inSlot.length - 1]!.cpv.version) < 0) {
          attr.downgrade = true;
          if (merge) this.counters.downgrades++;
        } else if (merge) this.counters.upgrades++;
      } else {
        oldbest = all;
        attr.new = true;
        attr.newSlot = true;
        if (merge) this.counters.newslot++;
      }
    } else {
      attr.new = true;
      if (merge) this.counters.new++;
    }
    if (merge && pkg.type === "binary") this.counters.binary++;
    if (ordered && pkg.operation === "uninstall") this.counters.uninst++;

    let verboseadd = "";
    if (this.verbosity !== 1 || this.opts.verbose) {
      const prev = this.previous(pkg);
      const forced = new Set([...this.config.useForce, ...this.config.useMask]);
      verboseadd += useString(
        { iuse: pkg.iuse, use: pkg.use, old: prev === null ? null : { iuse: prev.iuse.map((i) => i.replace(/^[+-]/, "")), use: new Set(prev.use) }, forced },
        { useExpand: this.config.useExpand, useExpandHidden: this.config.useExpandHidden, allFlags: this.verbosity === 3 || this.opts.quiet },
      );
    }
    if (this.verbosity === 3 && merge && pkg.task !== null) {
      const size = this.sizeOf(pkg.task);
      this.counters.totalsize += size;
      verboseadd += formatKiB(size);
    }
    const oldbestStr = this.oldbestString(pkg, oldbest, attr.newSlot);
    const attrStr =
      ` ${attr.new ? "N" : " "}${attr.replace ? "R" : attr.newSlot ? "S" : " "}${pkg.remote ? "g" : " "}` +
      `${attr.newVersion ? "U" : " "}${attr.downgrade ? "D" : " "}${this.verbosity > 1 ? pkg.mask : ""}`;
    const operation = merge ? null : pkg.operation === "merge" ? "nomerge" : pkg.operation;
    const head = operation === null ? `[${pkg.type} ${attrStr}]` : `[${operation.padEnd(13)}${this.verbosity > 1 ? " " : ""}]`;
    let line: string;
    if (this.opts.columns) line = this.columnsLine(pkg, attrStr, head, indent, oldbestStr, oldbest, attr.newSlot);
    else line = `${head} ${indent}${this.withSlotAndRepo(`${pkg.cpv.cpv}${this.buildIdSuffix(pkg)}`, pkg, oldbest, attr.newSlot)} ${oldbestStr}`;
    if (this.opts.columns && this.opts.quiet) return line;
    return verboseadd === "" ? line : `${line} ${verboseadd}`;
  }

  private buildIdSuffix(pkg: Shown): string {
    return pkg.type === "binary" && pkg.buildId !== null ? `-${pkg.buildId}` : "";
  }

  /** Portage's _append_slot and _append_repository (with --verbose only). */
  private withSlotAndRepo(s: string, pkg: Shown, oldbest: readonly InstalledPackage[], newSlot: boolean): string {
    if (this.verbosity !== 3) return s;
    let out = s;
    if (newSlot) out += `:${pkg.slot}${pkg.slot !== pkg.subslot ? `/${pkg.subslot}` : ""}`;
    else if ([...oldbest.map((x) => slotPair(x.slot, x.subslot)), slotPair(pkg.slot, pkg.subslot)].some((p) => p !== "0/0")) {
      out += `:${pkg.slot}`;
      if (pkg.slot !== pkg.subslot || oldbest.some((x) => x.slot === pkg.slot && x.subslot !== pkg.subslot)) out += `/${pkg.subslot}`;
    }
    return `${out}::${pkg.repo}`;
  }

  /** Portage's convert_myoldbest: the installed versions in brackets. */
  private oldbestString(pkg: Shown, oldbest: readonly InstalledPackage[], newSlot: boolean): string {
    if (oldbest.length === 0) return "";
    const anySlotted = [...oldbest.map((x) => slotPair(x.slot, x.subslot)), slotPair(pkg.slot, pkg.subslot)].some((p) => p !== "0/0");
    const versions = oldbest.map((old) => {
      let key = old.cpv.version.raw.replace(/-r0$/, "");
      if (this.verbosity === 3) {
        if (newSlot) key += `:${old.slot}${old.slot !== old.subslot ? `/${old.subslot}` : ""}`;
        else if (anySlotted) {
          key += `:${old.slot}`;
          if (old.slot !== old.subslot || (old.slot === pkg.slot && old.subslot !== pkg.subslot)) key += `/${old.subslot}`;
        }
        key += `::${old.repo ?? "gentoo"}`;
      }
      return key;
    });
    return `[${versions.join(", ")}]`;
  }

  /** Portage's _set_root_columns (--columns). */
  private columnsLine(pkg: Shown, attrStr: string, head: string, indent: string, oldbestStr: string, oldbest: readonly InstalledPackage[], newSlot: boolean): string {
    const ver = this.withSlotAndRepo(`${pkg.cpv.version.raw.replace(/-r0$/, "")}${this.buildIdSuffix(pkg)}`, pkg, oldbest, newSlot);
    if (this.opts.quiet) return `${attrStr} ${indent}${pkg.cpv.cp} ${ver} ${oldbestStr}`;
    const oldlp = COLUMN_WIDTH - 30;
    const newlp = oldlp - 30;
    let line = `${head} ${indent}${pkg.cpv.cp}`;
    line = line.padEnd(newlp);
    line += ` [${ver}] `;
    line = line.padEnd(oldlp);
    return line + oldbestStr;
  }

  private blockerLine(atom: string, parent: string, satisfied: boolean, indent: string): string {
    const addl = `${satisfied ? "b" : "B"}     ${this.verbosity > 1 ? " " : ""}`;
    const desc = `("${atom}" is ${satisfied ? "soft" : "hard"} blocking ${parent})`;
    if (this.opts.columns && this.opts.quiet) return `${addl} ${atom} ${desc}`;
    return `[blocks ${addl}] ${indent}${atom} ${desc}`;
  }

  /** Portage's _PackageCounters: the `Total:` line and, with blockers, `Conflict:`. */
  private totals(): string {
    const c = this.counters;
    const installs = c.upgrades + c.downgrades + c.newslot + c.new + c.reinst;
    const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
    const details = [
      c.upgrades > 0 ? plural(c.upgrades, "upgrade", "upgrades") : "",
      c.downgrades > 0 ? plural(c.downgrades, "downgrade", "downgrades") : "",
      c.new > 0 ? `${c.new} new` : "",
      c.newslot > 0 ? plural(c.newslot, "in new slot", "in new slots") : "",
      c.reinst > 0 ? plural(c.reinst, "reinstall", "reinstalls") : "",
      c.binary > 0 ? plural(c.binary, "binary", "binaries") : "",
      c.uninst > 0 ? plural(c.uninst, "uninstall", "uninstalls") : "",
    ].filter((d) => d !== "");
    let out = `Total: ${plural(installs, "package", "packages")}${installs > 0 ? ` (${details.join(", ")})` : ""}, Size of downloads: ${formatKiB(c.totalsize)}`;
    if (c.blocks > 0) out += `\nConflict: ${plural(c.blocks, "block", "blocks")} (${c.blocksSatisfied < c.blocks ? `${c.blocks - c.blocksSatisfied} unsatisfied` : "all satisfied"})`;
    return out;
  }
}

/** The blocker atom as written in the blocking package's dependencies (without `!`). */
function blockerAtom(plan: MergePlan, blocker: PlanNode, pkg: InstalledPackage): string {
  const line = plan.blocks.find((b) => b.blocking === blocker.ebuild && b.atom.cp === pkg.cpv.cp);
  return (line?.atom.raw ?? pkg.cpv.cp).replace(/^!!?/, "");
}
