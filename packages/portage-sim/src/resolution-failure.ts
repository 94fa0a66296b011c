import type { Atom } from "@binfleet/shared/portage";
import { closeMatches } from "./close-matches.js";
import { humanReadable } from "./required-use.js";
import { SimError } from "./errors.js";
import { maskReasons, maskingComment } from "./package-settings.js";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild } from "./repository.js";

/** Dependency resolution failed the way emerge's does: stderr text, and how often it backtracked. */
export class ResolutionFailure extends SimError {
  constructor(
    message: string,
    exitCode: number,
    /** What emerge prints about the failure after its other problems (display_problems' last part). */
    readonly body: string,
    /** What `(backtrack: N/20)` shows: Portage retries once when a dependency (not an argument) fails. */
    readonly backtracked: number,
    /** Printed when the failure happens, before the other problems ("!!! Problem resolving dependencies for …"). */
    readonly prefix = "",
  ) {
    super(message, exitCode, prefix + body);
  }

  /** The same failure with world-file problems found before it, which emerge prints between its two parts. */
  withWorldProblems(atoms: readonly string[]): ResolutionFailure {
    return new ResolutionFailure(this.message, this.exitCode, this.body, this.backtracked, this.prefix + worldProblemsText(atoms));
  }
}

/** `!!! Problems have been detected with your world file` and the atoms nothing satisfies. */
export function worldProblemsText(atoms: readonly string[]): string {
  if (atoms.length === 0) return "";
  return (
    "\n!!! Problems have been detected with your world file\n!!! Please run emaint --check world\n\n" +
    `\n!!! Ebuilds for the following packages are either all\n!!! masked or don't exist:\n${atoms.join(" ")}\n`
  );
}

const MASK_DOCS = "For more information, see the MASKED PACKAGES section in the emerge\nman page or refer to the Gentoo Handbook.\n";

const chainText = (chain: readonly string[]): string => (chain.length === 0 ? "" : `${chain.join("\n")}\n`);

/** `!!! All ebuilds that could satisfy "…" have been masked.` with each version and why (highest first). */
export function maskedMessage(atom: Atom, masked: readonly Ebuild[], config: PortageConfig, chain: readonly string[]): string {
  let text = `\n!!! All ebuilds that could satisfy "${atom.raw}" have been masked.\n!!! One of the following masked packages is required to complete your request:\n`;
  const shownComments = new Set<string>();
  for (const e of masked) {
    text += `- ${e.cpv.cpv}::${e.repo} (masked by: ${maskReasons(e, config).join(", ")})\n`;
    const c = maskingComment(e, config);
    if (c !== null && !shownComments.has(c.comment)) {
      shownComments.add(c.comment);
      text += `${c.file}:\n${c.comment}\n`;
    }
  }
  return `${text}\n${chainText(chain)}${MASK_DOCS}\n`;
}

/** `emerge: there are no ebuilds to satisfy "…".`, for an argument with emerge's guesses at what was meant. */
export function missingMessage(raw: string, cp: string, chain: readonly string[], names: readonly string[] | null, binariesOnly: boolean): string {
  let text = `\nemerge: there are no ${binariesOnly ? "binary packages" : "ebuilds"} to satisfy "${raw}".\n`;
  if (names !== null && !names.includes(cp)) {
    text += "\nemerge: searching for similar names...";
    const category = cp.slice(0, cp.indexOf("/"));
    const pkg = cp.slice(cp.indexOf("/") + 1).toLowerCase();
    const byLower = new Map<string, string[]>();
    for (const n of names) byLower.set(n.toLowerCase(), [...(byLower.get(n.toLowerCase()) ?? []), n]);
    const matches = category === "null" ? similarPackages(pkg, names) : closeMatches(cp.toLowerCase(), byLower.keys()).flatMap((m) => byLower.get(m)!);
    if (matches.length === 1) text += `\nemerge: Maybe you meant ${matches[0]}?\n`;
    else if (matches.length > 1) text += `\nemerge: Maybe you meant any of these: ${matches.join(", ")}?\n`;
    else text += " nothing similar found.\n";
  }
  return text + chainText(chain);
}

/** For a name without category: close package names, each with every category it is in. */
function similarPackages(pkg: string, names: readonly string[]): string[] {
  const byPkg = new Map<string, string[]>();
  for (const n of names) {
    const p = n.slice(n.indexOf("/") + 1).toLowerCase();
    if (p === pkg) continue;
    byPkg.set(p, [...(byPkg.get(p) ?? []), n]);
  }
  return closeMatches(pkg, byPkg.keys()).flatMap((p) => byPkg.get(p)!);
}

/** `!!! The ebuild selected to satisfy "…" has unmet requirements.` with the REQUIRED_USE constraints it breaks. */
export function requiredUseMessage(raw: string, cpvRepo: string, useDisplay: string, unmet: { unmet: string; whole: string }, chain: readonly string[]): string {
  let text = `\n!!! The ebuild selected to satisfy "${raw}" has unmet requirements.\n- ${cpvRepo} ${useDisplay}\n\n  The following REQUIRED_USE flag constraints are unsatisfied:\n    ${humanReadable(unmet.unmet)}\n`;
  if (unmet.unmet !== unmet.whole) text += `\n  The above constraints are a subset of the following complete expression:\n    ${humanReadable(unmet.whole)}\n`;
  return `${text}\n${chainText(chain)}`;
}
