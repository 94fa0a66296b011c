import { stat } from "node:fs/promises";
import { join } from "node:path";
import { tryParseCpv } from "@binfleet/shared";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { type BuilderRootLayout, hostPath, runInRoot } from "./root-portage.js";

/** Runs portageq in the builder root; what the coordinator's configured argv prints. */
export type PortageqRunner = (args: readonly string[]) => Promise<{ exitCode: number; stdout: string }>;

/** The configured portageq, run in a builder root. */
export function portageqIn(portage: CoordinatorConfig["portage"], layout: BuilderRootLayout): PortageqRunner {
  return (args) => runInRoot(portage, layout, "portageq", args);
}

/**
 * Whether a builder root's repositories have the ebuild of a cpv: a report cannot put on the
 * build list a package the builders' tree lacks (a typo, a private overlay, a made-up name).
 * Repository paths come from the root's own `portageq get_repos` / `get_repo_path` and are read
 * inside the root, as agents read theirs. Answers are kept until `forget` (after a sync).
 */
export class BuilderTree {
  private repoDirs: Promise<string[]> | null = null;
  private readonly known = new Map<string, boolean>();

  constructor(
    private readonly layout: BuilderRootLayout,
    private readonly portageq: PortageqRunner,
  ) {}

  async has(cpv: string): Promise<boolean> {
    const cached = this.known.get(cpv);
    if (cached !== undefined) return cached;
    const c = tryParseCpv(cpv);
    let found = false;
    if (c !== null) {
      const ebuild = join(c.category, c.package, `${c.package}-${c.version.raw}.ebuild`);
      for (const dir of await (this.repoDirs ??= this.loadRepoDirs())) {
        if (await stat(join(dir, ebuild)).then((s) => s.isFile(), () => false)) {
          found = true;
          break;
        }
      }
    }
    this.known.set(cpv, found);
    return found;
  }

  /** The root's repository directories that exist: none means Portage there has no tree to build from. */
  async repositories(): Promise<string[]> {
    const dirs = await (this.repoDirs ??= this.loadRepoDirs());
    const present = await Promise.all(dirs.map((d) => stat(join(d, "profiles")).then((s) => s.isDirectory(), () => false)));
    return dirs.filter((_, i) => present[i]);
  }

  /** The tree changed (nightly sync): ask again. */
  forget(): void {
    this.known.clear();
    this.repoDirs = null;
  }

  private async loadRepoDirs(): Promise<string[]> {
    const repos = await this.portageq(["get_repos", "/"]);
    if (repos.exitCode !== 0) return [];
    const dirs: string[] = [];
    for (const name of repos.stdout.split(/\s+/).filter((r) => /^[A-Za-z0-9_-]+$/.test(r))) {
      const p = await this.portageq(["get_repo_path", "/", name]);
      if (p.exitCode === 0 && p.stdout.trim().startsWith("/")) dirs.push(hostPath(this.layout, p.stdout.trim()));
    }
    return dirs;
  }
}
