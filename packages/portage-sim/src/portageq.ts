import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { atomMatches, compareVersions, parseAtom } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import type { Output } from "./output.js";
import { isVisible, packageRef } from "./package-settings.js";
import { type PortageConfig, loadPortageConfig, openRepositories } from "./portage-config.js";
import type { Ebuild } from "./repository.js";
import { SimRoot } from "./sim-root.js";
import { readInstalled } from "./vdb-cache.js";

/** Defaults Portage's make.globals supplies when nothing sets them. */
const GLOBALS: Record<string, string> = { PORTAGE_TMPDIR: "/var/tmp", PKGDIR: "/var/cache/binpkgs", DISTDIR: "/var/cache/distfiles", BINPKG_FORMAT: "gpkg", BINPKG_COMPRESS: "zstd", PORTAGE_CONFIGROOT: "/", ROOT: "/", EPREFIX: "" };

/** The portageq queries binfleet and admins use: envvar, get_repos, get_repo_path, pkgdir, distdir, match, best_version, best_visible, pquery, metadata, contents. */
export async function runPortageq(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [cmd, ...args] = argv;
  const root = SimRoot.fromEnv(env);
  const config = await loadPortageConfig(root, env);
  const inRoot = (p: string): string => p.slice(root.dir.length) || "/";
  const value = (k: string): string => config.vars[k] ?? GLOBALS[k] ?? "";
  switch (cmd) {
    case "envvar": {
      const verbose = args[0] === "-v";
      let code = 0;
      for (const k of verbose ? args.slice(1) : args) {
        const v = k === "PKGDIR" ? inRoot(config.pkgdir) : k === "DISTDIR" ? inRoot(config.distdir) : value(k);
        if (v === "") code = 1;
        out.out(verbose ? `${k}='${v}'\n` : `${v}\n`);
      }
      return code;
    }
    case "pkgdir":
      out.out(`${inRoot(config.pkgdir)}\n`);
      return 0;
    case "distdir":
      out.out(`${inRoot(config.distdir)}\n`);
      return 0;
    case "get_repos":
      out.out(`${config.repos.map((r) => r.name).join(" ")}\n`);
      return 0;
    case "get_repo_path": {
      const r = config.repos.find((x) => x.name === args[1]);
      if (r === undefined) return 1;
      out.out(`${inRoot(r.location)}\n`);
      return 0;
    }
    case "match":
    case "best_version": {
      const atom = parseAtom(args[1] ?? "");
      const found = (await readInstalled(config)).filter((p) => atomMatches(atom, { cpv: p.cpv, slot: p.slot, subslot: p.subslot })).sort((a, b) => compareVersions(a.cpv.version, b.cpv.version));
      const shown = cmd === "match" ? found : found.slice(-1);
      out.out(shown.map((p) => `${p.cpv.cpv}\n`).join("") || (cmd === "best_version" ? "\n" : ""));
      return 0;
    }
    case "best_visible": {
      const atom = parseAtom(args[args.length - 1] ?? "");
      const [repo] = await openRepositories(config);
      const best = (await repo!.versions(atom.cp)).filter((e) => isVisible(e, config) && atomMatches(atom, packageRef(e))).pop();
      out.out(`${best?.cpv.cpv ?? ""}\n`);
      return best === undefined ? 1 : 0;
    }
    case "pquery":
      return pquery(args, config, out);
    case "metadata": {
      const [, kind, cpv, ...keys] = args;
      if (cpv === undefined || (kind !== "installed" && kind !== "ebuild" && kind !== "porttree")) throw new SimError("portageq metadata: only 'installed' and 'ebuild' are simulated", 2);
      if (kind !== "installed") {
        const [repo] = await openRepositories(config);
        const e = await repo!.ebuild(cpv);
        if (e === undefined) return 1;
        for (const k of keys) out.out(`${e.cache[k] ?? ""}\n`);
        return 0;
      }
      const dir = join(config.vdb, cpv);
      for (const k of keys) out.out(`${(await readFile(join(dir, k), "utf8").catch(() => "")).replace(/\n$/, "")}\n`);
      return 0;
    }
    case "contents": {
      const text = await readFile(join(config.vdb, args[1] ?? "", "CONTENTS"), "utf8").catch(() => null);
      if (text === null) return 1;
      for (const line of text.split("\n")) {
        const m = /^(?:dir|obj|sym|fif|dev) (.+?)(?: [0-9a-f]{32} \d+| -> .* \d+)?$/.exec(line);
        if (m !== null) out.out(`${m[1]}\n`);
      }
      return 0;
    }
    default:
      throw new SimError(`portageq: unknown command '${cmd ?? ""}'`, 2, `portageq: unknown command '${cmd ?? ""}'\n`);
  }
}

/**
 * `portageq pquery [--repo R] [--no-filters] ATOM…`: the visible ebuilds (every one with
 * --no-filters) the atoms match, in every repository; as Portage prints them, categories and
 * then names sorted, each package's versions ascending. Wildcards are not simulated.
 */
async function pquery(args: readonly string[], config: PortageConfig, out: Output): Promise<number> {
  let repoName: string | null = null;
  let filters = true;
  const atoms = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--no-filters") filters = false;
    else if (a === "--repo") repoName = args[++i] ?? "";
    else if (a.startsWith("--repo=")) repoName = a.slice("--repo=".length);
    else if (a.startsWith("-")) throw new SimError(`portageq pquery: option '${a}' is not simulated`, 2);
    else {
      try {
        atoms.push(parseAtom(a));
      } catch {
        out.err(`ERROR: Invalid atom: '${a}'\n`);
        return 2;
      }
    }
  }
  const repos = (await openRepositories(config)).filter((r) => repoName === null || r.name === repoName);
  const cps = [...new Set(atoms.map((a) => a.cp))].sort((a, b) => {
    const [ca, na] = a.split("/") as [string, string];
    const [cb, nb] = b.split("/") as [string, string];
    return ca < cb ? -1 : ca > cb ? 1 : na < nb ? -1 : na > nb ? 1 : 0;
  });
  for (const cp of cps) {
    const found = new Map<string, Ebuild>();
    for (const repo of repos) {
      for (const e of await repo.versions(cp)) {
        if ((!filters || isVisible(e, config)) && atoms.some((a) => atomMatches(a, packageRef(e)))) found.set(e.cpv.cpv, e);
      }
    }
    for (const e of [...found.values()].sort((a, b) => compareVersions(a.cpv.version, b.cpv.version))) out.out(`${e.cpv.cpv}\n`);
  }
  return 0;
}
