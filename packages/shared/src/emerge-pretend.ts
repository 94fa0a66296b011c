import { parseCpvWithBuildId } from "./cpv.js";
import { PortageFormatError } from "./errors.js";
import { tryParseAtom } from "./atom.js";

export type MergeKind = "ebuild" | "binary" | "blocks" | "uninstall" | "nomerge";
const MERGE_KINDS: ReadonlySet<string> = new Set(["ebuild", "binary", "blocks", "uninstall", "nomerge"]);

/** The merge-list flag columns (lib/_emerge/resolver/output_helpers.py PkgAttrDisplay). */
export interface MergeFlags {
  readonly interactive: boolean; // I
  readonly new: boolean; // N
  readonly slotRebuild: boolean; // r: rebuild for a slot-operator dependency
  readonly newSlot: boolean; // S
  readonly replace: boolean; // R
  readonly remoteBinary: boolean; // g: fetched from a binhost
  readonly fetchRestricted: boolean; // F
  readonly fetchRestrictedPresent: boolean; // f
  readonly update: boolean; // U
  readonly downgrade: boolean; // D
  /** "#" package.mask, "*" missing keyword, "~" unstable keyword; null when unmasked. */
  readonly mask: "#" | "*" | "~" | null;
  /** blocks only: "b" soft (resolved automatically), "B" hard (unresolved). */
  readonly block: "b" | "B" | null;
}

/** One USE (or USE_EXPAND) flag as emerge displays it, e.g. `ssl*`, `(-selinux)`, `-resolvconf%`. */
export interface UseFlagDisplay {
  readonly name: string;
  readonly enabled: boolean;
  /** `*`: the flag's state differs from the installed package's. */
  readonly changed: boolean;
  /** `%`: the flag was added to or removed from IUSE since the installed package. */
  readonly iuseChanged: boolean;
  /** `( )`: forced (enabled) or masked (disabled) by the profile; the user cannot change it. */
  readonly forced: boolean;
  /** `{ }`: emerge's marker for flags outside the user's control that are not forced/masked either. */
  readonly braced: boolean;
}

export interface OldVersion {
  readonly version: string;
  readonly slot: string | null;
  readonly subslot: string | null;
  readonly repo: string | null;
}

export interface MergeEntry {
  readonly kind: MergeKind;
  /** The flag letters, spaces removed: "N", "NS", "gU", "Rg", "b". */
  readonly flags: string;
  readonly flagInfo: MergeFlags;
  /** --tree indentation level (0 at the top). */
  readonly depth: number;
  /** `cat/pkg-ver` without build id; for blocks, null. */
  readonly cpv: string | null;
  readonly cp: string;
  readonly version: string | null;
  readonly buildId: number | null;
  readonly slot: string | null;
  readonly subslot: string | null;
  readonly repo: string | null;
  readonly old: readonly OldVersion[] | null;
  /** `to /root/`: the ROOT it merges into, when not /. */
  readonly root: string | null;
  /** USE and each USE_EXPAND group, as displayed: {"USE": [...], "PYTHON_TARGETS": [...]} */
  readonly use: Readonly<Record<string, readonly UseFlagDisplay[]>>;
  /** Download size as printed ("10 KiB", "40,553 kB") and in bytes; null when not printed. */
  readonly size: string | null;
  readonly sizeBytes: number | null;
  /** blocks only: the blocking atom and emerge's explanation. */
  readonly blocker: { readonly atom: string; readonly message: string } | null;
  /** 1-based line number in the input. */
  readonly line: number;
}

export interface MergeTotal {
  readonly packages: number;
  /** The parenthesised counts keyed by a stable name: upgrades, downgrades, new, newSlots, reinstalls, binaries, uninstalls, interactive; anything else under its own words. */
  readonly counts: Readonly<Record<string, number>>;
  readonly downloadSize: string | null;
  readonly downloadBytes: number | null;
  readonly conflict: { readonly blocks: number; readonly unsatisfied: number | null } | null;
}

export interface EmergePretend {
  readonly entries: readonly MergeEntry[];
  readonly total: MergeTotal | null;
  /** Every other non-blank line (messages, USE-change hints, masking explanations), in order. */
  readonly notes: readonly string[];
}

const BRACKET_RE = /^\[(\w+)(\s*)([ A-Za-z#*~%]*)\]( +)(.*)$/;
const SIZE_RE = /^(\d[\d,.]*) (KiB|MiB|GiB|kB|MB|GB|B)$/;
const TOTAL_RE = /^Total: (\d+) packages?(?: \(([^)]*)\))?(?:, Size of downloads: (.+))?$/;
const CONFLICT_RE = /^Conflict: (\d+) blocks?(?: \((?:all satisfied|(\d+) unsatisfied)\))?$/;

/**
 * Parses what `emerge --pretend` prints (stdout, or stdout and stderr together),
 * in the modern layout, --quiet, --columns, --tree, and the 2007 layout.
 * Never throws on content: lines it cannot read become notes.
 */
export function parseEmergePretend(text: string): EmergePretend {
  const entries: MergeEntry[] = [];
  const notes: string[] = [];
  let total: Omit<MergeTotal, "conflict"> | null = null;
  let conflict: MergeTotal["conflict"] = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const entry = line.startsWith("[") ? parseMergeLine(line, i + 1) : null;
    if (entry !== null) {
      entries.push(entry);
      continue;
    }
    const t = TOTAL_RE.exec(line);
    if (t !== null) {
      total = {
        packages: Number(t[1]),
        counts: parseCounts(t[2] ?? ""),
        downloadSize: t[3] ?? null,
        downloadBytes: t[3] === undefined ? null : sizeToBytes(t[3]),
      };
      continue;
    }
    const c = CONFLICT_RE.exec(line);
    if (c !== null && total !== null) {
      conflict = { blocks: Number(c[1]), unsatisfied: c[2] === undefined ? (line.includes("all satisfied") ? 0 : null) : Number(c[2]) };
      continue;
    }
    notes.push(line);
  }
  return { entries, total: total === null ? null : { ...total, conflict }, notes };
}

function parseCounts(inner: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of inner.split(",")) {
    const m = /^\s*(\d+) (.+?)\s*$/.exec(part);
    if (m === null) continue;
    counts[countKey(m[2]!)] = Number(m[1]);
  }
  return counts;
}

function countKey(label: string): string {
  if (/^upgrades?$/.test(label)) return "upgrades";
  if (/^downgrades?$/.test(label)) return "downgrades";
  if (label === "new") return "new";
  if (/^in new slots?$/.test(label)) return "newSlots";
  if (/^reinstalls?$/.test(label)) return "reinstalls";
  if (/^binar(y|ies)$/.test(label)) return "binaries";
  if (/^uninstalls?$/.test(label)) return "uninstalls";
  if (label === "interactive") return "interactive";
  return label;
}

/** "10 KiB" → 10240; "40,553 kB" → 40553·1024 (old Portage's kB were KiB). */
export function sizeToBytes(size: string): number | null {
  const m = SIZE_RE.exec(size.trim());
  if (m === null) return null;
  const n = Number(m[1]!.replace(/,/g, ""));
  const unit = { B: 1, KiB: 1024, kB: 1024, MiB: 1024 ** 2, MB: 1024 ** 2, GiB: 1024 ** 3, GB: 1024 ** 3 }[m[2]!] ?? 1;
  return Math.round(n * unit);
}

function parseFlags(kind: MergeKind, columns: string): MergeFlags {
  const has = (c: string): boolean => columns.includes(c);
  const mask = has("#") ? "#" : has("*") ? "*" : has("~") ? "~" : null;
  return {
    interactive: has("I"),
    new: has("N"),
    slotRebuild: kind !== "blocks" && has("r"),
    newSlot: has("S"),
    replace: has("R"),
    remoteBinary: has("g"),
    fetchRestricted: has("F"),
    fetchRestrictedPresent: has("f"),
    update: has("U"),
    downgrade: has("D"),
    mask,
    block: kind === "blocks" ? (has("B") ? "B" : has("b") ? "b" : null) : null,
  };
}

/** Splits the rest of a merge line into tokens, keeping `[...]` and `KEY="..."` whole. */
function tokenize(rest: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < rest.length) {
    if (rest[i] === " ") {
      i++;
      continue;
    }
    let end: number;
    if (rest[i] === "[") {
      end = rest.indexOf("]", i);
      end = end < 0 ? rest.length : end + 1;
    } else {
      const q = /^[A-Za-z0-9_]+="/.exec(rest.slice(i, i + 64));
      if (q !== null) {
        end = rest.indexOf('"', i + q[0].length);
        end = end < 0 ? rest.length : end + 1;
      } else {
        end = rest.indexOf(" ", i);
        if (end < 0) end = rest.length;
        // Sizes print as "10 KiB": keep number and unit together.
        const unit = /^ (KiB|MiB|GiB|kB|MB|GB|B)(?= |$)/.exec(rest.slice(end, end + 5));
        if (unit !== null && /^\d[\d,.]*$/.test(rest.slice(i, end))) end += unit[0].length;
      }
    }
    tokens.push(rest.slice(i, end));
    i = end;
  }
  return tokens;
}

interface PackageToken {
  cpv: string | null;
  cp: string;
  version: string | null;
  buildId: number | null;
  slot: string | null;
  subslot: string | null;
  repo: string | null;
}

/** `cat/pkg-ver[-BUILDID][:SLOT[/SUB]][::repo]`, or a bare `cat/pkg` in --columns mode. */
function parsePackageToken(token: string): PackageToken | null {
  let rest = token;
  let repo: string | null = null;
  const r = rest.indexOf("::");
  if (r >= 0) {
    repo = rest.slice(r + 2);
    rest = rest.slice(0, r);
  }
  let slot: string | null = null;
  let subslot: string | null = null;
  const s = rest.indexOf(":");
  if (s >= 0) {
    [slot, subslot = null] = rest.slice(s + 1).split("/") as [string, string?];
    rest = rest.slice(0, s);
  }
  try {
    const { cpv, buildId } = parseCpvWithBuildId(rest);
    return { cpv: cpv.cpv, cp: cpv.cp, version: cpv.version.raw, buildId, slot, subslot, repo };
  } catch (err) {
    if (!(err instanceof PortageFormatError)) throw err;
  }
  if (/^[^/\s]+\/[^/\s]+$/.test(rest)) return { cpv: null, cp: rest, version: null, buildId: null, slot, subslot, repo };
  return null;
}

/** `[1.0::gentoo]`, `[1.0:0/1::gentoo]`, `[2.31]`, `[1.0, 2.0]`. */
function parseOld(inner: string): OldVersion[] | null {
  const olds: OldVersion[] = [];
  for (const part of inner.split(/,\s*/)) {
    const p = parsePackageToken(`x/y-${part}`);
    if (p === null || p.version === null) return null;
    olds.push({ version: p.buildId === null ? p.version : `${p.version}-${p.buildId}`, slot: p.slot, subslot: p.subslot, repo: p.repo });
  }
  return olds;
}

function parseUseGroup(value: string): UseFlagDisplay[] {
  const flags: UseFlagDisplay[] = [];
  for (const raw of value.split(/\s+/)) {
    if (raw === "") continue;
    let t = raw;
    const forced = t.startsWith("(") && t.endsWith(")");
    const braced = t.startsWith("{") && t.endsWith("}");
    if (forced || braced) t = t.slice(1, -1);
    const enabled = !t.startsWith("-");
    if (!enabled) t = t.slice(1);
    const markers = /[*%]*$/.exec(t)![0];
    flags.push({
      name: t.slice(0, t.length - markers.length),
      enabled,
      changed: markers.includes("*"),
      iuseChanged: markers.includes("%"),
      forced,
      braced,
    });
  }
  return flags;
}

function parseMergeLine(line: string, lineNo: number): MergeEntry | null {
  const m = BRACKET_RE.exec(line);
  if (m === null || !MERGE_KINDS.has(m[1]!)) return null;
  const kind = m[1] as MergeKind;
  const columns = m[3]!;
  const depth = Math.max(0, m[4]!.length - 1);
  const tokens = tokenize(m[5]!);
  const first = tokens.shift();
  if (first === undefined) return null;
  const flags = columns.replace(/\s+/g, "");
  const flagInfo = parseFlags(kind, columns);

  if (kind === "blocks") {
    const atom = tryParseAtom(first);
    const message = m[5]!.slice(m[5]!.indexOf(first) + first.length).trim().replace(/^\((.*)\)$/, "$1");
    return {
      kind, flags, flagInfo, depth, cpv: null, cp: atom?.cp ?? first, version: atom?.version ?? null, buildId: null,
      slot: atom?.slot ?? null, subslot: atom?.subslot ?? null, repo: atom?.repo ?? null, old: null, root: null,
      use: {}, size: null, sizeBytes: null, blocker: { atom: first, message }, line: lineNo,
    };
  }

  const pkg = parsePackageToken(first);
  if (pkg === null) return null;
  let old: OldVersion[] | null = null;
  let root: string | null = null;
  let size: string | null = null;
  const use: Record<string, UseFlagDisplay[]> = {};
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith("[") && t.endsWith("]")) {
      if (pkg.version === null) {
        // --columns: the first bracket after a bare cp is the new version.
        const v = parsePackageToken(`${pkg.cp}-${t.slice(1, -1)}`);
        if (v === null) return null;
        Object.assign(pkg, { ...v, cp: pkg.cp });
      } else {
        old = parseOld(t.slice(1, -1));
        if (old === null) return null;
      }
    } else if (t === "to" && i + 1 < tokens.length && tokens[i + 1]!.startsWith("/")) {
      root = tokens[++i]!;
    } else if (SIZE_RE.test(t)) {
      size = t;
    } else {
      const u = /^([A-Za-z0-9_]+)="(.*)"$/.exec(t);
      if (u === null) return null;
      use[u[1]!] = parseUseGroup(u[2]!);
    }
  }
  if (pkg.version === null) return null;
  return {
    kind, flags, flagInfo, depth, cpv: pkg.cpv, cp: pkg.cp, version: pkg.version, buildId: pkg.buildId,
    slot: pkg.slot, subslot: pkg.subslot, repo: pkg.repo, old, root, use, size,
    sizeBytes: size === null ? null : sizeToBytes(size), blocker: null, line: lineNo,
  };
}
