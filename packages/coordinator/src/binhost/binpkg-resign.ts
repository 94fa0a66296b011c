import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, field, parsePackagesIndex } from "@binfleet/shared";
import { execa } from "execa";
import type { CoordinatorConfig } from "../config/coordinator-config.js";

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
export async function resignPkgdir(o: { portage: CoordinatorConfig["portage"]; root: string; pkgdir: string; fingerprint: string; log: Logger }): Promise<ResignResult> {
  const env = { ...o.portage.env, [o.portage.rootVariable]: o.root, NOCOLOR: "true", BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing", BINPKG_GPG_SIGNING_KEY: o.fingerprint };
  const index = parsePackagesIndex(await readFile(join(o.root, o.pkgdir, "Packages"), "utf8").catch(() => ""));
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
      const [file, ...prefix] = o.portage.gpkgSign;
      const r = await execa(file!, [...prefix, join("/", o.pkgdir, path)], { env, reject: false, all: true });
      if (r.exitCode === 0) resigned++;
      else {
        failed.push(path);
        o.log.warn({ path, exitCode: r.exitCode, output: String(r.all ?? "").trim().slice(-500) }, "gpkg-sign refused a package");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), 4, paths.length) }, worker));
  const [file, ...prefix] = o.portage.emaint;
  const fix = await execa(file!, [...prefix, "binhost", "--fix"], { env, reject: false, all: true });
  if (fix.exitCode !== 0) throw new Error(`emaint binhost --fix failed (${fix.exitCode}): ${String(fix.all ?? "").trim().slice(-500)}`);
  return { resigned, failed: failed.sort() };
}
