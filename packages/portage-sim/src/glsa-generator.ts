// Security advisories for a generated fleet: GLSAs in the tree's metadata/glsa/, written as
// Gentoo writes them (glsa.dtd), against versions some generated nodes have installed.
import { mkdirSync as mkdir, writeFileSync as writeFile } from "node:fs";
import { join } from "node:path";
import { compareVersions } from "@binfleet/shared/portage";
import type { Ebuild } from "./repository.js";

/** What the generator knows of a package: its ebuilds, and which of them each platform sees. */
export interface AdvisoryCandidate {
  readonly cp: string;
  /** Ebuilds, ascending. */
  readonly versions: readonly Ebuild[];
  /** Per platform name: whether it sees an ebuild (keywords, masks). */
  readonly visible: (platform: string, e: Ebuild) => boolean;
}

/** A node as generated: its platform and installed versions by `category/package`. */
export interface GeneratedNode {
  readonly name: string;
  readonly platform: string;
  readonly installed: ReadonlyMap<string, Ebuild>;
}

/** An advisory the generator wrote, with the nodes it hits (for tests and the demo). */
export interface GeneratedAdvisory {
  readonly id: string;
  readonly cp: string;
  /** The version that fixes it: versions below it are vulnerable. */
  readonly fixed: string;
  readonly severity: string;
  /** Nodes with a vulnerable version installed, sorted. */
  readonly nodes: readonly string[];
  /** Their platforms, sorted. */
  readonly platforms: readonly string[];
}

const SEVERITIES = ["high", "normal", "low"] as const;

/**
 * Chooses the fleet's advisories, deterministically from what was generated: for packages of a
 * single SLOT, the newest version every platform sees is the fix, and nodes with an older one
 * installed (their platform held the newest back) are exposed. Two packages get an advisory each:
 * first those that hit some nodes but not all, on more than one platform; then those hitting the
 * most platforms and nodes. A third concerns a package no node has installed: not every advisory
 * in the tree affects the fleet.
 */
export function chooseAdvisories(candidates: readonly AdvisoryCandidate[], nodes: readonly GeneratedNode[], platforms: readonly string[], month: string): GeneratedAdvisory[] {
  const scored: { cp: string; fixed: string; nodes: string[]; platforms: string[] }[] = [];
  let unused: { cp: string; fixed: string } | null = null;
  for (const c of candidates) {
    const slots = new Set(c.versions.map((e) => e.slot));
    if (slots.size !== 1 || c.cp.startsWith("virtual/")) continue;
    const everywhere = c.versions.filter((e) => platforms.every((p) => c.visible(p, e)));
    const fix = everywhere.at(-1);
    // A fix with nothing older to be vulnerable is no advisory.
    if (fix === undefined || compareVersions(c.versions[0]!.cpv.version, fix.cpv.version) >= 0) continue;
    const having = nodes.filter((n) => n.installed.has(c.cp));
    const hit = having.filter((n) => compareVersions(n.installed.get(c.cp)!.cpv.version, fix.cpv.version) < 0);
    if (having.length === 0) {
      unused ??= { cp: c.cp, fixed: fix.cpv.version.raw };
      continue;
    }
    if (hit.length === 0) continue;
    scored.push({ cp: c.cp, fixed: fix.cpv.version.raw, nodes: hit.map((n) => n.name).sort(), platforms: [...new Set(hit.map((n) => n.platform))].sort() });
  }
  const spread = (s: (typeof scored)[number]): number => (s.nodes.length < nodes.length && s.platforms.length > 1 ? 1 : 0);
  scored.sort((a, b) => spread(b) - spread(a) || b.platforms.length - a.platforms.length || b.nodes.length - a.nodes.length || (a.cp < b.cp ? -1 : 1));
  const chosen: { cp: string; fixed: string; nodes: string[]; platforms: string[] }[] = scored.slice(0, 2);
  if (unused !== null) chosen.push({ ...unused, nodes: [], platforms: [] });
  return chosen.map((c, i) => ({ id: `${month}-${String(i + 1).padStart(2, "0")}`, cp: c.cp, fixed: c.fixed, severity: SEVERITIES[i % SEVERITIES.length]!, nodes: c.nodes, platforms: c.platforms }));
}

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The advisory as a GLSA document, laid out like the repository's own (glsa.dtd). */
export function glsaXml(a: GeneratedAdvisory, date: string): string {
  const pn = a.cp.split("/")[1]!;
  const bug = 900000 + [...a.id].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 99991, 7);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd">',
    `<glsa id="${escape(a.id)}">`,
    `    <title>${escape(pn)}: Multiple Vulnerabilities</title>`,
    `    <synopsis>Multiple vulnerabilities have been discovered in ${escape(pn)}, the worst of which could allow a remote attacker to execute arbitrary code.</synopsis>`,
    `    <product type="ebuild">${escape(pn)}</product>`,
    `    <announced>${date}</announced>`,
    `    <revised count="1">${date}</revised>`,
    `    <bug>${bug}</bug>`,
    "    <access>remote</access>",
    "    <affected>",
    `        <package name="${escape(a.cp)}" auto="yes" arch="*">`,
    `            <unaffected range="ge">${escape(a.fixed)}</unaffected>`,
    `            <vulnerable range="lt">${escape(a.fixed)}</vulnerable>`,
    "        </package>",
    "    </affected>",
    "    <background>",
    `        <p>${escape(pn)} is a package of the simulated tree binfleet-sim generates.</p>`,
    "    </background>",
    "    <description>",
    `        <p>Multiple vulnerabilities have been discovered in ${escape(pn)}. Please review the references below for details.</p>`,
    "    </description>",
    `    <impact type="${a.severity}">`,
    "        <p>Please review the referenced advisory for details.</p>",
    "    </impact>",
    "    <workaround>",
    "        <p>There is no known workaround at this time.</p>",
    "    </workaround>",
    "    <resolution>",
    `        <p>All ${escape(pn)} users should upgrade to the latest version:</p>`,
    "        ",
    "        <code>",
    "          # emerge --sync",
    `          # emerge --ask --oneshot --verbose "&gt;=${escape(a.cp)}-${escape(a.fixed)}"`,
    "        </code>",
    "    </resolution>",
    "    <references>",
    `        <uri link="https://security.example.invalid/${escape(a.id)}">SIM-${escape(a.id)}</uri>`,
    "    </references>",
    `    <metadata tag="requester" timestamp="${date}T00:45:01.000000Z">binfleet-sim</metadata>`,
    `    <metadata tag="submitter" timestamp="${date}T00:45:01.000000Z">binfleet-sim</metadata>`,
    "</glsa>",
    "",
  ].join("\n");
}

/** Writes each advisory as `metadata/glsa/glsa-<id>.xml` of the repository. */
export function writeAdvisories(repoDir: string, advisories: readonly GeneratedAdvisory[], date: string): void {
  mkdir(join(repoDir, "metadata/glsa"), { recursive: true });
  for (const a of advisories) writeFile(join(repoDir, "metadata/glsa", `glsa-${a.id}.xml`), glsaXml(a, date));
}
