import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { PLATFORM_VARS, type MergeEntry, type PlatformFingerprint, parseEmergePretend, parseWorld, parseWorldSets, platformFromPortage } from "@binfleet/shared";
import { type AgentReport, AgentReportSchema, MergeKind, type PlannedPackage } from "@binfleet/shared/wire";
import type { AgentConfig } from "./agent-config.js";
import type { PortageRunner } from "./portage-runner.js";
import { VdbCache } from "./vdb-cache.js";

const KIND: Record<MergeEntry["kind"], MergeKind> = {
  ebuild: MergeKind.EBUILD,
  binary: MergeKind.BINARY,
  uninstall: MergeKind.UNINSTALL,
  blocks: MergeKind.BLOCKS,
  nomerge: MergeKind.NOMERGE,
};

/** Enabled (or disabled) flags of a merge-list entry, USE_EXPAND groups written back as flags (`python_targets_python3_12`). */
export function enabledFlags(e: MergeEntry, enabled = true): string[] {
  return Object.entries(e.use)
    .flatMap(([group, flags]) => flags.filter((f) => f.enabled === enabled).map((f) => (group === "USE" ? f.name : `${group.toLowerCase()}_${f.name}`)))
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
      useDisabled: enabledFlags(e, false),
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
  /** portageq's answers, kept while the files they come from are unchanged (two process starts per report saved). */
  private settings: { signature: string; vars: Record<string, string>; repoPath: string } | null = null;
  private readonly vdb: VdbCache;

  constructor(
    private readonly config: AgentConfig,
    private readonly runner: PortageRunner,
  ) {
    this.vdb = new VdbCache(this.path("/var/db/pkg"));
  }

  private path(p: string): string {
    return join(this.config.root, p);
  }

  /** Modification times of what Portage reads its settings from; the tree's timestamp covers profile changes. */
  private async settingsSignature(): Promise<string> {
    const parts: string[] = [];
    for (const p of ["/etc/portage/make.conf", "/etc/portage/make.profile", "/etc/portage/repos.conf", "/etc/portage/package.accept_keywords"]) {
      const full = this.path(p);
      const st = await lstat(full).catch(() => null);
      parts.push(`${p}:${st?.mtimeMs ?? "-"}:${st?.isSymbolicLink() ? await readlink(full).catch(() => "") : ""}`);
      if (st?.isDirectory()) for (const f of (await readdir(full).catch(() => [])).sort()) parts.push(`${f}:${(await stat(join(full, f)).catch(() => null))?.mtimeMs ?? "-"}`);
    }
    const repo = this.settings?.repoPath;
    if (repo !== undefined && repo !== "") parts.push(`tree:${(await stat(join(this.path(repo), "metadata/timestamp.chk")).catch(() => null))?.mtimeMs ?? "-"}`);
    return parts.join("|");
  }

  private async portageSettings(): Promise<{ vars: Record<string, string>; repoPath: string }> {
    const signature = await this.settingsSignature();
    if (this.settings?.signature !== signature) {
      const vars = await this.runner.envvars(PLATFORM_VARS);
      const repoPath = await this.runner.repoPath(this.config.portage.repo);
      this.settings = { signature: "", vars, repoPath };
      // Signed again now that the repository is known, so a sync (new timestamp) is noticed next time.
      this.settings.signature = await this.settingsSignature();
    }
    return this.settings;
  }

  /** This node's platform: the settings that decide which binaries it can use, and their key. */
  async platform(): Promise<PlatformFingerprint & { repoPath: string }> {
    const { vars, repoPath } = await this.portageSettings();
    const fp = platformFromPortage(vars, await readlink(this.path("/etc/portage/make.profile")).catch(() => ""));
    return { ...fp, repoPath };
  }

  async collect(): Promise<AgentReport> {
    const { repoPath, ...fp } = await this.platform();
    const snapshot = repoPath === "" ? "" : (await readFile(join(this.path(repoPath), "metadata/timestamp.chk"), "utf8").catch(() => "")).trim();
    const world = parseWorld(await readFile(this.path("/var/lib/portage/world"), "utf8").catch(() => ""));
    const worldSets = parseWorldSets(await readFile(this.path("/var/lib/portage/world_sets"), "utf8").catch(() => ""));
    const installed = await this.vdb.read();
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
