import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, field, parsePackagesIndex } from "@binfleet/shared";
import { layoutOf, pkgdirOf, runInRoot } from "../builders/root-portage.js";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";

export interface ResignResult {
  readonly resigned: number;
  /** PATHs gpkg-sign refused (with its reason in the log). */
  readonly failed: readonly string[];
}

/**
 * Signs every gpkg a builder root's `$PKGDIR/Packages` lists again with `fingerprint`, through
 * Portage's own tools: `gpkg-sign` per file (it verifies the old signature first), then
 * `emaint binhost --fix`, which re-indexes the files whose size and mtime changed. xpak
 * packages carry no gpkg signature and are left alone.
 */
export async function resignPkgdir(o: { portage: CoordinatorConfig["portage"]; platform: PlatformConfig; fingerprint: string; log: Logger }): Promise<ResignResult> {
  const env = { BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing", BINPKG_GPG_SIGNING_KEY: o.fingerprint };
  const layout = layoutOf(o.platform);
  const index = parsePackagesIndex(await readFile(join(pkgdirOf(o.platform), "Packages"), "utf8").catch(() => ""));
  const paths = index.packages.map((s) => field(s, "PATH") ?? "").filter((p) => p.endsWith(".gpkg.tar"));
  // emaint tells a re-signed file by its size and mtime in whole seconds: sign in a later second
  // than any entry's MTIME, or a package built this second would keep its old checksums.
  const newest = Math.max(0, ...index.packages.map((s) => Number(field(s, "MTIME") ?? 0)));
  const wait = (newest + 1) * 1000 - Date.now();
  if (wait > 0) await sleep(wait);
  const failed: string[] = [];
  let resigned = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      // The path as the root sees it: gpkg-sign runs inside the builder root.
      const r = await runInRoot(o.portage, layout, "gpkgSign", [join("/", o.platform.pkgdir, path)], { env });
      if (r.exitCode === 0) resigned++;
      else {
        failed.push(path);
        o.log.warn({ path, exitCode: r.exitCode, output: r.all.trim().slice(-500) }, "gpkg-sign refused a package");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), 4, paths.length) }, worker));
  const fix = await runInRoot(o.portage, layout, "emaint", ["binhost", "--fix"], { env });
  if (fix.exitCode !== 0) throw new Error(`emaint binhost --fix failed (${fix.exitCode}): ${fix.all.trim().slice(-500)}`);
  return { resigned, failed: failed.sort() };
}
