import { createHash } from "node:crypto";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type MergeEntry, parseEmergePretend, parseWorld, parseWorldSets, platformFingerprint, readVdb } from "@binfleet/shared";
import { type AgentReport, AgentReportSchema, MergeKind, type PlannedPackage } from "@binfleet/shared/wire";
import type { AgentConfig } from "./agent-config.js";
import type { PortageRunner } from "./portage-runner.js";

const KIND: Record<MergeEntry["kind"], MergeKind> = {
  ebuild: MergeKind.EBUILD,
  binary: MergeKind.BINARY,
  uninstall: MergeKind.UNINSTALL,
  blocks: MergeKind.BLOCKS,
  nomerge: MergeKind.NOMERGE,
};

/** Enabled flags of a merge-list entry, USE_EXPAND groups written back as flags (`python_targets_python3_12`). */
export function enabledFlags(e: MergeEntry): string[] {
  return Object.entries(e.use)
    .flatMap(([group, flags]) => flags.filter((f) => f.enabled).map((f) => (group === "USE" ? f.name : `${group.toLowerCase()}_${f.name}`)))
    .sort();
}

function planned(e: MergeEntry): PlannedPackage[] {
  if (e.cpv === null && e.kind !== "blocks") return [];
  return [
    {
      $typeName: "binfleet.v1.PlannedPackage",
      kind: KIND[e.kind],
      cpv: e.cpv ?? e.cp,
      slot: e.slot ?? "",
      subslot: e.subslot ?? "",
      repo: e.repo ?? "",
      use: enabledFlags(e),
      flags: e.flags,
      oldVersion: e.old?.[0]?.version ?? "",
      downloadBytes: BigInt(e.sizeBytes ?? 0),
      buildId: e.buildId ?? 0,
    },
  ];
}

/** Hash over what the report says, not when it was made: equal hashes mean nothing to resend. */
export function reportContentHash(r: AgentReport): string {
  const stripped = create(AgentReportSchema, { ...r, generatedAtUnixMs: 0n, contentHash: "", sequence: 0n });
  return createHash("sha256").update(toBinary(AgentReportSchema, stripped)).digest("hex");
}

/** Collects what a node has and needs, from its files and from Portage itself. */
export class ReportCollector {
  constructor(
    private readonly config: AgentConfig,
    private readonly runner: PortageRunner,
  ) {}

  private path(p: string): string {
    return join(this.config.root, p);
  }

  async collect(): Promise<AgentReport> {
    const vars = await this.runner.envvars(["ARCH", "CHOST", "CFLAGS", "CXXFLAGS", "LDFLAGS", "ACCEPT_KEYWORDS", "BINPKG_FORMAT"]);
    const profile = (await readlink(this.path("/etc/portage/make.profile")).catch(() => "")).replace(/^.*\/profiles\//, "");
    const fp = platformFingerprint({
      arch: vars["ARCH"] ?? "",
      chost: vars["CHOST"] ?? "",
      cflags: vars["CFLAGS"] ?? "",
      cxxflags: vars["CXXFLAGS"] ?? "",
      ldflags: vars["LDFLAGS"] ?? "",
      profile,
      acceptKeywords: vars["ACCEPT_KEYWORDS"] ?? "",
      binpkgFormat: vars["BINPKG_FORMAT"] ?? "",
    });
    const repoPath = await this.runner.repoPath(this.config.portage.repo);
    const snapshot = repoPath === "" ? "" : (await readFile(join(this.path(repoPath), "metadata/timestamp.chk"), "utf8").catch(() => "")).trim();
    const world = parseWorld(await readFile(this.path("/var/lib/portage/world"), "utf8").catch(() => ""));
    const worldSets = parseWorldSets(await readFile(this.path("/var/lib/portage/world_sets"), "utf8").catch(() => ""));
    const installed = await readVdb(this.path("/var/db/pkg"));
    const pretend = await this.runner.run(this.runner.pretendWorldArgv());
    const plan = pretend.exitCode === 0 ? parseEmergePretend(pretend.stdout).entries.flatMap(planned) : [];
    const report = create(AgentReportSchema, {
      nodeId: this.config.nodeId,
      generatedAtUnixMs: BigInt(Date.now()),
      platform: { arch: fp.settings.arch, chost: fp.settings.chost, cflags: fp.settings.cflags, cxxflags: fp.settings.cxxflags, ldflags: fp.settings.ldflags, profile: fp.settings.profile, acceptKeywords: fp.settings.acceptKeywords, binpkgFormat: fp.settings.binpkgFormat, key: fp.key },
      snapshots: [{ repo: this.config.portage.repo, id: snapshot }],
      world: world.atoms.map((a) => a.raw),
      worldSets,
      installed: installed.map((p) => ({
        cpv: p.cpv.cpv,
        slot: p.slot,
        subslot: p.subslot,
        repo: p.repo ?? "",
        use: [...p.use],
        iuse: [...p.iuse],
        buildTime: BigInt(p.buildTime ?? 0),
        buildId: p.buildId ?? 0,
        fromBinary: p.binpkgMd5 !== null,
      })),
      plan,
      agentVersion: "0.1.0",
      planError: pretend.exitCode === 0 ? "" : pretend.stderr.slice(-4000),
    });
    report.contentHash = reportContentHash(report);
    return report;
  }
}
