import type { InstalledPackage } from "@binfleet/shared/portage";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild } from "./repository.js";
import type { MergePlan, MergeTask } from "./resolver.js";

/** Portage's localized_size: whole KiB rounded up, with thousands separators. */
export function formatKiB(bytes: number): string {
  return `${Math.ceil(bytes / 1024).toLocaleString("en-US")} KiB`;
}

/** `:slot` or `:slot/subslot` as emerge prints it: omitted for plain slot 0. */
function slotSuffix(slot: string, subslot: string): string {
  if (slot === "0" && subslot === slot) return "";
  return subslot === slot ? `:${slot}` : `:${slot}/${subslot}`;
}

function useGroups(task: MergeTask, config: PortageConfig): string[] {
  const e = task.ebuild;
  const old = task.old;
  const oldIuse = old === null ? null : new Set(old.iuse.map((i) => i.replace(/^[+-]/, "")));
  const oldUse = old === null ? null : new Set(old.use);
  const hidden = new Set(config.useExpandHidden.map((h) => `${h.toLowerCase()}_`));
  const expand = [...config.useExpand].sort();
  const groups = new Map<string, { on: string[]; off: string[] }>([["USE", { on: [], off: [] }]]);
  for (const ue of expand) groups.set(ue, { on: [], off: [] });
  for (const { name } of e.iuse) {
    if ([...hidden].some((h) => name.startsWith(h))) continue;
    const ue = expand.find((u) => name.startsWith(`${u.toLowerCase()}_`));
    const group = groups.get(ue ?? "USE")!;
    const display = ue === undefined ? name : name.slice(ue.length + 1);
    const on = task.use.has(name);
    let text = display;
    if (oldIuse !== null && !oldIuse.has(name)) text += "%";
    else if (oldUse !== null && oldUse.has(name) !== on) text += "*";
    const forced = config.useForce.has(name) || config.useMask.has(name);
    if (!on) text = `-${text}`;
    if (forced) text = `(${text})`;
    (on ? group.on : group.off).push(text);
  }
  const out: string[] = [];
  const byName = (a: string, b: string): number => a.replace(/^[(-]+/, "").localeCompare(b.replace(/^[(-]+/, ""), "en");
  for (const [name, g] of groups) {
    if (g.on.length + g.off.length === 0) continue;
    out.push(`${name}="${[...g.on.sort(byName), ...g.off.sort(byName)].join(" ")}"`);
  }
  return out;
}

export function packageString(e: Ebuild, buildId: number | null): string {
  return `${e.cpv.cpv}${buildId === null ? "" : `-${buildId}`}${slotSuffix(e.slot, e.subslot)}::${e.repo}`;
}

function installedString(p: InstalledPackage): string {
  return `${p.cpv.cpv}${slotSuffix(p.slot, p.subslot)}::${p.repo ?? "gentoo"}`;
}

/** Download size of a task: the binary still to fetch, or distfiles not yet in DISTDIR. */
export type SizeOf = (task: MergeTask) => number;

/** One `[ebuild …]` / `[binary …]` line, byte for byte as `emerge --pretend --verbose` prints it. */
export function mergeLine(task: MergeTask, config: PortageConfig, size: number): string {
  const f = task.flags;
  const cols = [
    " ",
    f.new ? "N" : " ",
    f.newSlot ? "S" : f.replace ? "R" : " ",
    task.kind === "binary" && task.binary?.source !== null ? "g" : " ",
    f.update ? "U" : " ",
    f.downgrade ? "D" : " ",
    " ",
  ].join("");
  const pkg = packageString(task.ebuild, task.kind === "binary" ? (task.binary?.pkg.buildId ?? null) : null);
  const showOld = task.old !== null && (f.update || f.newSlot);
  const old = showOld ? `[${task.old!.cpv.version.raw}${slotSuffix(task.old!.slot, task.old!.subslot)}::${task.old!.repo ?? "gentoo"}] ` : " ";
  const groups = useGroups(task, config).map((g) => `${g} `).join("");
  return `[${task.kind} ${cols}] ${pkg} ${old}${groups}${formatKiB(size)}`;
}

export function mergeListLines(plan: MergePlan, config: PortageConfig, sizeOf: SizeOf): string[] {
  const lines: string[] = [];
  for (const t of plan.tasks) {
    lines.push(mergeLine(t, config, sizeOf(t)));
    for (const u of t.uninstalls) lines.push(`[uninstall     ] ${installedString(u)} `);
  }
  for (const b of plan.blocks) {
    const target = b.atom.raw.replace(/^!!?/, "");
    lines.push(`[blocks ${b.hard ? "B" : "b"}      ] ${target} ("${target}" is ${b.hard ? "hard" : "soft"} blocking ${b.blocking.cpv.cpv})`);
  }
  return lines;
}

export function totalLine(plan: MergePlan, sizeOf: SizeOf): string {
  const n = { upgrade: 0, downgrade: 0, new: 0, newSlot: 0, reinstall: 0, binary: 0, uninstall: 0 };
  let bytes = 0;
  for (const t of plan.tasks) {
    if (t.flags.downgrade) n.downgrade++;
    else if (t.flags.update) n.upgrade++;
    else if (t.flags.newSlot) n.newSlot++;
    else if (t.flags.new) n.new++;
    else if (t.flags.replace) n.reinstall++;
    if (t.kind === "binary") n.binary++;
    n.uninstall += t.uninstalls.length;
    bytes += sizeOf(t);
  }
  const plural = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  const details = [
    n.upgrade > 0 ? plural(n.upgrade, "upgrade", "upgrades") : "",
    n.downgrade > 0 ? plural(n.downgrade, "downgrade", "downgrades") : "",
    n.new > 0 ? `${n.new} new` : "",
    n.newSlot > 0 ? plural(n.newSlot, "in new slot", "in new slots") : "",
    n.reinstall > 0 ? plural(n.reinstall, "reinstall", "reinstalls") : "",
    n.binary > 0 ? plural(n.binary, "binary", "binaries") : "",
    n.uninstall > 0 ? plural(n.uninstall, "uninstall", "uninstalls") : "",
  ].filter((d) => d !== "");
  const count = plural(plan.tasks.length, "package", "packages");
  return `Total: ${count}${details.length > 0 ? ` (${details.join(", ")})` : ""}, Size of downloads: ${formatKiB(bytes)}`;
}

export function conflictLine(plan: MergePlan): string | null {
  if (plan.blocks.length === 0) return null;
  const unsatisfied = plan.blocks.filter((b) => b.hard).length;
  const blocks = `${plan.blocks.length} block${plan.blocks.length === 1 ? "" : "s"}`;
  return `Conflict: ${blocks} (${unsatisfied === 0 ? "all satisfied" : `${unsatisfied} unsatisfied`})`;
}

/** The whole stdout of `emerge --pretend --verbose` for a plan. */
export function pretendOutput(plan: MergePlan, config: PortageConfig, sizeOf: SizeOf, seconds: number): string {
  const lines = mergeListLines(plan, config, sizeOf);
  const conflict = conflictLine(plan);
  return (
    "\nThese are the packages that would be merged, in order:\n\nCalculating dependencies ... done!\n" +
    `Dependency resolution took ${seconds.toFixed(2)} s (backtrack: 0/20).\n\n` +
    lines.map((l) => `${l}\n`).join("") +
    `\n${totalLine(plan, sizeOf)}\n` +
    (conflict === null ? "" : `${conflict}\n`)
  );
}

/** stderr notice for binaries refused by --binpkg-respect-use. */
export function ignoredBinariesNotice(plan: MergePlan): string {
  if (plan.ignoredBinaries.length === 0) return "";
  return (
    "\n!!! The following binary packages have been ignored due to non matching USE:\n\n" +
    plan.ignoredBinaries.map((b) => `    =${b.cpv} ${b.flags.join(" ")}\n`).join("") +
    "\nNOTE: The --binpkg-respect-use=n option will prevent emerge\n" +
    "      from ignoring these binary packages if possible.\n" +
    "      Using --binpkg-respect-use=y will silence this warning.\n"
  );
}

export function worldProblemsNotice(plan: MergePlan): string {
  if (plan.worldProblems.length === 0) return "";
  return (
    "\n!!! Problems have been detected with your world file\n!!! Please run emaint --check world\n\n\n" +
    "!!! Ebuilds for the following packages are either all\n!!! masked or don't exist:\n" +
    `${plan.worldProblems.join(" ")}\n`
  );
}
