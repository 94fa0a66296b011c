import type { EmergeOptions } from "./emerge-options.js";
import { worldProblemsText } from "./resolution-failure.js";
import type { MergePlan } from "./resolver.js";

const BLOCKER_DOCS =
  "\nFor more information about Blocked Packages, please refer to the following\n" +
  "section of the Gentoo Linux x86 Handbook (architecture is irrelevant):\n\n" +
  "https://wiki.gentoo.org/wiki/Handbook:X86/Working/Portage#Blocked_packages\n\n";

/**
 * What emerge's display_problems writes to stderr after the merge list, in its order: unsatisfied
 * blockers, binaries refused for their USE, --autounmask USE changes, world-file problems.
 * `fatal` when emerge exits 1 because of them.
 */
export function problemsText(plan: MergePlan, opts: Pick<EmergeOptions, "quiet" | "respectUseExplicit">): { text: string; fatal: boolean } {
  let text = "";
  const hard = plan.blocks.filter((b) => b.hard);
  if (hard.length > 0) {
    text +=
      "\n * Error: The above package list contains packages which cannot be\n * installed at the same time on the same system.\n\n" +
      hard.map((b) => `  (${b.blocking.cpv.cpv}:${b.blocking.slot}/${b.blocking.subslot}::${b.blocking.repo}, ebuild scheduled for merge) pulled in by\n    ${b.blocking.cpv.cp}\n\n`).join("");
    if (!opts.quiet) text += BLOCKER_DOCS;
  }
  if (plan.ignoredBinaries.length > 0 && !opts.quiet && !opts.respectUseExplicit) {
    text +=
      "\n!!! The following binary packages have been ignored due to non matching USE:\n\n" +
      plan.ignoredBinaries.map((b) => `    =${b.cpv} ${b.flags.join(" ")}\n`).join("") +
      "\nNOTE: The --binpkg-respect-use=n option will prevent emerge\n" +
      "      from ignoring these binary packages if possible.\n" +
      "      Using --binpkg-respect-use=y will silence this warning.\n";
  }
  if (plan.useChanges.length > 0) {
    text += '\nThe following USE changes are necessary to proceed:\n (see "package.use" in the portage(5) man page for more details)\n';
    for (const c of plan.useChanges) text += `${c.requiredBy.map((l) => `${l}\n`).join("")}${c.atom} ${c.flags.join(" ")}\n`;
  }
  text += worldProblemsText(plan.worldProblems);
  return { text, fatal: hard.length > 0 || plan.useChanges.length > 0 };
}
