import type { InstalledPackage } from "@binfleet/shared/portage";
import { atomMatches } from "@binfleet/shared/portage";
import { type DepNode } from "./dep-string.js";
import { recordedUse } from "./package-settings.js";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild, Repository } from "./repository.js";

/**
 * A dependency string as Portage records it for a built package: USE
 * conditionals evaluated and `:=` bound to the installed slot/subslot
 * (`dev-libs/libdemo:0/1=`).
 */
export function evaluatedDeps(nodes: readonly DepNode[], use: ReadonlySet<string>, installed: readonly InstalledPackage[]): string {
  const parts: string[] = [];
  for (const n of nodes) {
    if (n.type === "atom") {
      let text = n.atom.raw;
      if (n.atom.slotOperator === "=" && n.atom.slot === null) {
        const inst = installed.find((p) => p.cpv.cp === n.atom.cp && atomMatches({ ...n.atom, slotOperator: null, useDeps: [] }, { cpv: p.cpv, slot: p.slot, subslot: p.subslot }));
        if (inst !== undefined) text = text.replace(":=", `:${inst.slot}/${inst.subslot}=`);
      }
      // USE deps: drop conditionals that do not apply, keep the rest as plain requirements.
      text = text.replace(/\[([^\]]*)\]$/, (_m, body: string) => {
        const kept = body.split(",").flatMap((tok) => {
          const c = /^(!?)([^?=]+?)([?=])$/.exec(tok);
          if (c === null) return [tok];
          const flag = c[2]!.replace(/\([+-]\)$/, "");
          const on = use.has(flag);
          const neg = c[1] === "!";
          if (c[3] === "?") return on !== neg ? [c[2]!] : [];
          return [(on !== neg ? "" : "-") + c[2]!];
        });
        return kept.length === 0 ? "" : `[${kept.join(",")}]`;
      });
      parts.push(text);
    } else if (n.type === "use") {
      if (use.has(n.flag) !== n.negate) {
        const inner = evaluatedDeps(n.children, use, installed);
        if (inner !== "") parts.push(inner);
      }
    } else if (n.type === "all") {
      const inner = evaluatedDeps(n.children, use, installed);
      if (inner !== "") parts.push(inner);
    } else {
      const inner = evaluatedDeps(n.children, use, installed);
      if (inner !== "") parts.push(`|| ( ${inner} )`);
    }
  }
  return parts.join(" ");
}

/** The files a simulated package installs (what its image holds). */
export function imageFiles(e: Ebuild, use: ReadonlySet<string>): Record<string, string> {
  const pn = e.cpv.package;
  return {
    [`/usr/bin/${pn}`]: `#!/bin/sh\necho ${e.cpv.cpv}\n`,
    [`/usr/share/${pn}/${pn}.txt`]: `${e.cpv.cpv} USE="${[...use].sort().join(" ")}"\n`,
  };
}

/** vdb / gpkg metadata for a built package, one value per file as Portage writes them. */
export function packageMetadata(
  e: Ebuild,
  use: ReadonlySet<string>,
  config: PortageConfig,
  repo: Repository,
  installed: readonly InstalledPackage[],
  extra: { buildTime: number; buildId: number | null; size: number },
): Record<string, string> {
  const v = config.vars;
  const recorded = recordedUse(use, config);
  const iuseEffective = [...new Set([...e.iuse.map((i) => i.name), ...(v["ARCH"] ? [v["ARCH"]] : []), ...(v["IUSE_IMPLICIT"] ?? "").split(/\s+/).filter((x) => x)])].sort();
  const meta: Record<string, string> = {
    BUILD_TIME: `${extra.buildTime}\n`,
    CATEGORY: `${e.cpv.category}\n`,
    CBUILD: `${v["CBUILD"] ?? v["CHOST"] ?? ""}\n`,
    CFLAGS: `${v["CFLAGS"] ?? ""}\n`,
    CHOST: `${v["CHOST"] ?? ""}\n`,
    CXXFLAGS: `${v["CXXFLAGS"] ?? ""}\n`,
    DEFINED_PHASES: `${e.definedPhases}\n`,
    DESCRIPTION: `${e.description}\n`,
    EAPI: `${e.eapi}\n`,
    FEATURES: `${[...config.features].sort().join(" ")}\n`,
    HOMEPAGE: `${e.homepage}\n`,
    IUSE: `${e.iuse.map((i) => `${i.default}${i.name}`).join(" ")}\n`,
    IUSE_EFFECTIVE: `${iuseEffective.join(" ")}\n`,
    KEYWORDS: `${e.keywords.join(" ")}\n`,
    LDFLAGS: `${v["LDFLAGS"] ?? ""}\n`,
    LICENSE: `${e.license}\n`,
    PF: `${e.cpv.package}-${e.cpv.version.raw}\n`,
    SIZE: `${extra.size}\n`,
    SLOT: `${e.slot === e.subslot ? e.slot : `${e.slot}/${e.subslot}`}\n`,
    USE: `${recorded.join(" ")}\n`,
    repository: `${e.repo}\n`,
  };
  const rdepend = e.rdepend === "" ? "" : evaluatedDeps(repo.deps(e.rdepend), use, installed);
  if (rdepend !== "") meta["RDEPEND"] = `${rdepend}\n`;
  if (extra.buildId !== null) meta["BUILD_ID"] = String(extra.buildId);
  return meta;
}
