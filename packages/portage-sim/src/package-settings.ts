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

/** Whether ACCEPT_KEYWORDS (with package.accept_keywords) and package.mask let this ebuild be installed. */
export function isVisible(e: Ebuild, config: PortageConfig): boolean {
  const ref = packageRef(e);
  if (config.packageMask.some((a) => atomMatches(a, ref))) return false;
  let accepted = [...config.acceptKeywords];
  const arch = config.vars["ARCH"] ?? "";
  for (const pk of config.packageAcceptKeywords) {
    // An entry without keywords means "~arch", as Portage reads it.
    if (atomMatches(pk.atom, ref)) accepted = stack(accepted, pk.tokens.length === 0 ? [`~${arch}`] : pk.tokens);
  }
  const acc = new Set(accepted);
  if (acc.has("**")) return true;
  for (const kw of e.keywords) {
    if (acc.has(kw)) return true;
    if (kw.startsWith("~") && acc.has("~*")) return true;
    if (!kw.startsWith("~") && !kw.startsWith("-") && acc.has("*")) return true;
    // ~arch accepted implies arch is too.
    if (!kw.startsWith("~") && acc.has(`~${kw}`)) return true;
  }
  return false;
}

/** Why an ebuild is not visible, in `emerge`'s words ("~amd64 keyword", "package.mask"). */
export function maskReason(e: Ebuild, config: PortageConfig): string {
  if (config.packageMask.some((a) => atomMatches(a, packageRef(e)))) return "package.mask";
  const arch = config.vars["ARCH"] ?? "";
  if (e.keywords.includes(`~${arch}`)) return `~${arch} keyword`;
  return "missing keyword";
}
