import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { type Stanza, field } from "@binfleet/shared/portage";
import { openGpkg } from "./gpkg.js";
import type { Output } from "./output.js";
import { type IndexFields, indexEntry, readPkgdirIndex, withPkgdirLock, writePkgdirIndex } from "./pkgdir.js";
import { type PortageConfig, loadPortageConfig } from "./portage-config.js";
import { SimRoot } from "./sim-root.js";

/**
 * `emaint [--check|--fix] binhost`, as Portage's binhost module: --check lists the packages whose
 * `Packages` entry is missing or stale (size or mtime no longer the file's) and those listed but
 * gone (one line each, exit 1); --fix re-indexes the first and drops the second, under the PKGDIR
 * lock, rewriting the header from the current settings. Without a tty, a fix prints nothing.
 */
export async function runEmaint(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const targets = argv.filter((a) => !a.startsWith("-"));
  const fix = argv.includes("--fix") || argv.includes("-f");
  if (targets.length !== 1) {
    out.err("usage: usage: emaint [options] COMMAND\nemaint: error: Incorrect number of arguments\n");
    return 2;
  }
  if (targets[0] !== "binhost") {
    out.err(`usage: usage: emaint [options] COMMAND\nemaint: error: ${targets[0]} target is not a known target\n`);
    return 2;
  }
  const config = await loadPortageConfig(SimRoot.fromEnv(env), env);
  if (!fix) {
    const { missing, stale } = await survey(config);
    const errors = [...missing.map((m) => `'${m.cpv}' is not in Packages`), ...stale.map((s) => `'${field(s, "CPV")}' is not in the repository`)];
    if (errors.length === 0) return 0;
    // One line each and nothing else (the emaint-binhost capture).
    out.out(errors.map((e) => `${e}\n`).join(""));
    return 1;
  }
  await withPkgdirLock(config.pkgdir, async () => {
    const { missing, stale, index } = await survey(config);
    if (missing.length === 0 && stale.length === 0) return;
    const replaced = new Set<string>([...missing.map((m) => m.path), ...stale.map((s) => field(s, "PATH") ?? "")]);
    const kept = index.filter((s) => !replaced.has(field(s, "PATH") ?? ""));
    await writePkgdirIndex(config, config.pkgdir, [...kept, ...missing.map((m) => m.entry)]);
  });
  return 0;
}

interface Missing {
  readonly cpv: string;
  readonly path: string;
  readonly entry: Stanza;
}

/** Packages whose entry is absent or stale (re-indexed from the file), and entries whose file is gone. */
async function survey(config: PortageConfig): Promise<{ missing: Missing[]; stale: Stanza[]; index: readonly Stanza[] }> {
  const index = (await readPkgdirIndex(config.pkgdir))?.packages ?? [];
  const byPath = new Map(index.map((s) => [field(s, "PATH") ?? "", s]));
  const missing: Missing[] = [];
  const stale: Stanza[] = [];
  for (const s of index) {
    if ((await stat(join(config.pkgdir, field(s, "PATH") ?? "")).catch(() => null)) === null) stale.push(s);
  }
  for (const path of (await packageFiles(config.pkgdir)).sort()) {
    const st = await stat(join(config.pkgdir, path));
    const s = byPath.get(path);
    const current = s !== undefined && field(s, "MD5") !== undefined && field(s, "SIZE") === String(st.size) && field(s, "MTIME") === String(Math.floor(st.mtimeMs / 1000));
    if (current) continue;
    const data = await readFile(join(config.pkgdir, path));
    let fields: IndexFields;
    try {
      const m = (await openGpkg(data, null)).metadata;
      const v = (k: string): string => (m[k] ?? "").trim();
      fields = { cpv: `${v("CATEGORY")}/${v("PF")}`, buildId: v("BUILD_ID") === "" ? null : Number(v("BUILD_ID")), metadata: m, repo: v("repository") };
    } catch {
      // bintree skips what it cannot read, and says so.
      continue;
    }
    missing.push({ cpv: fields.cpv, path, entry: indexEntry(path, data, fields, st.mtime) });
  }
  return { missing, stale, index };
}

/** The gpkg files under PKGDIR, relative to it (temp files of writers in progress excluded). */
async function packageFiles(pkgdir: string): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(pkgdir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile() && e.name.endsWith(".gpkg.tar")) found.push(relative(pkgdir, join(e.parentPath, e.name)));
  }
  return found;
}
