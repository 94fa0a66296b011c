/** Portage's _alnum_sort_key: digit runs compare as numbers ("python3_9" < "python3_12"). */
export function alnumCompare(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    const d = i % 2 === 1 ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return pa.length - pb.length;
}

export interface UseDisplayInput {
  /** IUSE names (no +/- defaults). */
  readonly iuse: readonly string[];
  /** Enabled flags. */
  readonly use: ReadonlySet<string>;
  /** The installed package shown as previous (null: a new package). */
  readonly old: { readonly iuse: readonly string[]; readonly use: ReadonlySet<string> } | null;
  /** use.force and use.mask flags (shown in parentheses). */
  readonly forced: ReadonlySet<string>;
}

export interface UseDisplayConfig {
  readonly useExpand: readonly string[];
  readonly useExpandHidden: readonly string[];
  /** Every flag, not only changed ones (--verbose or --quiet). */
  readonly allFlags: boolean;
}

/**
 * The `USE="…" PYTHON_TARGETS="…" ` part of a merge-list line, as Portage's Display._display_use and
 * _create_use_string build it: one group for USE and one per visible USE_EXPAND variable, enabled
 * flags then disabled then removed, `*` changed, `%` new or gone from IUSE, `(…)` forced.
 */
export function useString(pkg: UseDisplayInput, conf: UseDisplayConfig): string {
  const hidden = new Set(conf.useExpandHidden);
  const groups = (flags: readonly string[]): Map<string, string[]> => {
    const m = new Map<string, string[]>([["USE", []]]);
    for (const exp of conf.useExpand) m.set(exp, []);
    for (const f of flags) {
      const exp = conf.useExpand.find((e) => f.startsWith(`${e.toLowerCase()}_`));
      if (exp === undefined) m.get("USE")!.push(f);
      else m.get(exp)!.push(f.slice(exp.length + 1));
    }
    return m;
  };
  const curIuse = groups([...pkg.iuse].sort());
  const curUse = groups([...pkg.use].filter((f) => pkg.iuse.includes(f)));
  const forced = groups([...pkg.forced].filter((f) => pkg.iuse.includes(f)));
  const oldIuse = groups(pkg.old === null ? [] : [...pkg.old.iuse].sort());
  const oldUse = groups(pkg.old === null ? [] : [...pkg.old.use].filter((f) => pkg.old!.iuse.includes(f)));
  let out = "";
  for (const key of ["USE", ...[...conf.useExpand].sort()]) {
    if (hidden.has(key)) continue;
    out += groupString(key, curIuse.get(key) ?? [], new Set(forced.get(key)), new Set(curUse.get(key)), oldIuse.get(key) ?? [], new Set(oldUse.get(key)), pkg.old === null, conf.allFlags);
  }
  return out;
}

function groupString(
  name: string,
  curIuse: readonly string[],
  forced: ReadonlySet<string>,
  curUse: ReadonlySet<string>,
  oldIuseList: readonly string[],
  oldUse: ReadonlySet<string>,
  isNew: boolean,
  allFlags: boolean,
): string {
  const cur = new Set(curIuse);
  const oldIuse = new Set(oldIuseList);
  const enabled: string[] = [];
  const disabled: string[] = [];
  const removed: string[] = [];
  for (const flag of [...new Set([...curIuse, ...oldIuseList])].sort(alnumCompare)) {
    let s: string | null = null;
    const on = cur.has(flag) && curUse.has(flag);
    if (on) {
      if (isNew || (oldUse.has(flag) && allFlags)) s = flag;
      else if (!oldIuse.has(flag)) s = `${flag}%*`;
      else if (!oldUse.has(flag)) s = `${flag}*`;
    } else if (!cur.has(flag)) {
      if (allFlags) removed.push(`(-${flag}%${oldUse.has(flag) ? "*" : ""})`);
      continue;
    } else if (isNew || (oldIuse.has(flag) && !oldUse.has(flag) && allFlags)) {
      s = `-${flag}`;
    } else if (!oldIuse.has(flag)) {
      s = `-${flag}${forced.has(flag) ? "" : "%"}`;
    } else if (oldUse.has(flag)) {
      s = `-${flag}*`;
    }
    if (s === null) continue;
    if (forced.has(flag)) s = `(${s})`;
    (on ? enabled : disabled).push(s);
  }
  const all = [...enabled, ...disabled, ...removed];
  return all.length === 0 ? "" : `${name}="${all.join(" ")}" `;
}

/**
 * Portage's pkg_use_display (messages about one package): `USE="…"` then each visible USE_EXPAND
 * variable with flags, enabled before disabled, each by name, forced flags in parentheses.
 */
export function pkgUseDisplay(iuse: readonly string[], use: ReadonlySet<string>, forced: ReadonlySet<string>, conf: Omit<UseDisplayConfig, "allFlags">): string {
  const groups = new Map<string, { flag: string; name: string; on: boolean }[]>([["USE", []]]);
  for (const flag of new Set([...iuse, ...[...use].filter((f) => iuse.includes(f))])) {
    const exp = conf.useExpand.find((e) => flag.startsWith(`${e.toLowerCase()}_`));
    const key = exp ?? "USE";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ flag, name: exp === undefined ? flag : flag.slice(exp.length + 1), on: use.has(flag) });
  }
  const hidden = new Set(conf.useExpandHidden);
  const order = ["USE", ...[...groups.keys()].filter((k) => k !== "USE").sort()];
  return order
    .filter((k) => !hidden.has(k))
    .map((k) => {
      const flags = groups.get(k)!.sort((a, b) => Number(b.on) - Number(a.on) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const shown = flags.map((f) => {
        const s = f.on ? f.name : `-${f.name}`;
        return forced.has(f.flag) ? `(${s})` : s;
      });
      return `${k}="${shown.join(" ")}"`;
    })
    .join(" ");
}
