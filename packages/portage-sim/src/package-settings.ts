import { type PackageRef, atomMatches } from "@binfleet/shared/portage";
import { type PortageConfig, stack } from "./portage-config.js";
import { type Ebuild, iuseNames } from "./repository.js";

export function packageRef(e: Ebuild): PackageRef {
  return { cpv: e.cpv, slot: e.slot, subslot: e.subslot, repo: e.repo };
}

/**
 * The USE an ebuild gets on this system (enabled flags within IUSE), stacked as
 * Portage's USE_ORDER does: IUSE defaults < profile < make.conf < package.use <
 * environment; then use.mask removes and use.force adds.
 */
export function effectiveUse(e: Ebuild, config: PortageConfig): Set<string> {
  let flags: string[] = e.iuse.filter((i) => i.default === "+").map((i) => i.name);
  for (const layer of config.useLayers) flags = stack(flags, layer);
  const ref = packageRef(e);
  for (const pu of config.packageUse) if (atomMatches(pu.atom, ref)) flags = stack(flags, pu.tokens);
  flags = stack(flags, config.useEnv);
  const iuse = iuseNames(e);
  const out = new Set(flags.filter((f) => iuse.has(f) && !config.useMask.has(f)));
  for (const f of config.useForce) if (iuse.has(f)) out.add(f);
  return out;
}

/** USE as Portage records it in vdb and Packages: enabled IUSE flags plus the arch flag, sorted. */
export function recordedUse(use: ReadonlySet<string>, config: PortageConfig): string[] {
  const arch = config.vars["ARCH"];
  const out = new Set(use);
  if (arch) out.add(arch);
  return [...out].sort();
}

/** Matched by package.mask (whether or not package.unmask lifts it): Portage's isHardMasked, "#" in the merge list. */
export function isHardMasked(e: Ebuild, config: PortageConfig): boolean {
  const ref = packageRef(e);
  return config.packageMask.some((m) => atomMatches(m.atom, ref));
}

function masked(e: Ebuild, config: PortageConfig): boolean {
  const ref = packageRef(e);
  return isHardMasked(e, config) && !config.packageUnmask.some((a) => atomMatches(a, ref));
}

/** Whether `accepted` keywords let an ebuild with `keywords` in. */
function keywordsAccepted(keywords: readonly string[], accepted: ReadonlySet<string>): boolean {
  if (accepted.has("**")) return true;
  for (const kw of keywords) {
    if (accepted.has(kw)) return true;
    if (kw.startsWith("~") && accepted.has("~*")) return true;
    if (!kw.startsWith("~") && !kw.startsWith("-") && accepted.has("*")) return true;
    // ~arch accepted implies arch is too.
    if (!kw.startsWith("~") && accepted.has(`~${kw}`)) return true;
  }
  return false;
}

function acceptedKeywords(e: Ebuild, config: PortageConfig): Set<string> {
  const ref = packageRef(e);
  let accepted = [...config.acceptKeywords];
  const arch = config.vars["ARCH"] ?? "";
  for (const pk of config.packageAcceptKeywords) {
    // An entry without keywords means "~arch", as Portage reads it.
    if (atomMatches(pk.atom, ref)) accepted = stack(accepted, pk.tokens.length === 0 ? [`~${arch}`] : pk.tokens);
  }
  return new Set(accepted);
}

/** Whether ACCEPT_KEYWORDS (with package.accept_keywords), package.mask and package.unmask let this ebuild be installed. */
export function isVisible(e: Ebuild, config: PortageConfig): boolean {
  return !masked(e, config) && keywordsAccepted(e.keywords, acceptedKeywords(e, config));
}

/**
 * Portage's get_keyword_mask for the merge list's last column: null when the global ACCEPT_KEYWORDS
 * take it, "unstable" ("~") when only its testing keyword for an accepted arch is missing, else "missing" ("*").
 */
export function keywordMask(e: Ebuild, config: PortageConfig): "unstable" | "missing" | null {
  if (keywordsAccepted(e.keywords, config.acceptKeywords)) return null;
  for (const kw of e.keywords) if (kw.startsWith("~") && config.acceptKeywords.has(kw.slice(1))) return "unstable";
  return "missing";
}

/** Why an ebuild is not visible, in `emerge`'s words ("package.mask", "~amd64 keyword"). */
export function maskReasons(e: Ebuild, config: PortageConfig): string[] {
  const out: string[] = [];
  if (masked(e, config)) out.push("package.mask");
  if (!keywordsAccepted(e.keywords, acceptedKeywords(e, config))) {
    const arch = config.vars["ARCH"] ?? "";
    out.push(e.keywords.includes(`~${arch}`) ? `~${arch} keyword` : e.keywords.includes(`-${arch}`) ? `-${arch} keyword` : "missing keyword");
  }
  return out;
}

/** The package.mask comment for a masked ebuild and the file it is in (the first matching entry's). */
export function maskingComment(e: Ebuild, config: PortageConfig): { file: string; comment: string } | null {
  const ref = packageRef(e);
  const m = config.packageMask.find((x) => atomMatches(x.atom, ref));
  return m === undefined || m.comment === "" ? null : { file: m.file, comment: m.comment };
}
