import { lstat, mkdir, readFile, rm } from "node:fs/promises";
import { lazyExeca } from "./lazy-execa.js";
import { join } from "node:path";
import type { Output } from "./output.js";
import type { PortageConfig } from "./portage-config.js";

/**
 * `emerge --sync`: for each repository with an rsync sync-uri, pulls the tree
 * with the real rsync (as Portage's rsync module does) and prints the new
 * snapshot. Repositories without a sync-uri are skipped with Portage's notice.
 */
export async function syncRepositories(config: PortageConfig, out: Output): Promise<number> {
  let code = 0;
  for (const r of config.repos) {
    if (r.syncUri === "") {
      out.out(`>>> Syncing repository '${r.name}' into '${r.location.slice(config.root.dir.length)}'...\n!!! Repository '${r.name}' is missing sync-uri attribute\n`);
      continue;
    }
    out.out(`>>> Syncing repository '${r.name}' into '${r.location.slice(config.root.dir.length)}'...\n>>> Starting rsync with ${r.syncUri}...\n`);
    // A generated node starts with its tree linked to the fleet's shared one: its first sync
    // gets a copy of its own instead of rewriting every node's tree through the link.
    if ((await lstat(r.location).catch(() => null))?.isSymbolicLink()) {
      await rm(r.location);
      await mkdir(r.location, { recursive: true });
    }
    const res = await (await lazyExeca())("rsync", ["--recursive", "--links", "--safe-links", "--perms", "--times", "--omit-dir-times", "--delete", "--delete-delay", "--force", "--whole-file", "--timeout=180", `${r.syncUri.replace(/\/+$/, "")}/`, `${r.location}/`], { reject: false });
    if (res.exitCode !== 0) {
      out.err(`!!! rsync error in ${r.name}: ${res.stderr.trim()}\n`);
      code = 1;
      continue;
    }
    const stamp = (await readFile(join(r.location, "metadata/timestamp.chk"), "utf8").catch(() => "")).trim();
    out.out(`=== Sync completed for ${r.name}\n${stamp === "" ? "" : `>>> Snapshot: ${stamp}\n`}`);
  }
  return code;
}
