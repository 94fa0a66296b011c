import { SimError } from "./errors.js";

export interface EmergeOptions {
  pretend: boolean;
  verbose: boolean;
  quiet: boolean;
  update: boolean;
  deep: boolean;
  newuse: boolean;
  emptytree: boolean;
  oneshot: boolean;
  noreplace: boolean;
  getbinpkg: boolean;
  getbinpkgonly: boolean;
  usepkg: boolean;
  usepkgonly: boolean;
  buildpkg: boolean;
  buildpkgonly: boolean;
  fetchonly: boolean;
  sync: boolean;
  info: boolean;
  version: boolean;
  respectUse: boolean;
  /** --binpkg-respect-use given explicitly (y or n): the notice about refused binaries is not shown. */
  respectUseExplicit: boolean;
  tree: boolean;
  columns: boolean;
  nodeps: boolean;
  onlydeps: boolean;
  /** --changed-use, or --reinstall=changed-use. */
  changedUse: boolean;
  exclude: string[];
  targets: string[];
}

const SHORT: Record<string, keyof EmergeOptions> = {
  t: "tree", p: "pretend", v: "verbose", q: "quiet", u: "update", D: "deep", N: "newuse", e: "emptytree", "1": "oneshot", n: "noreplace",
  g: "getbinpkg", G: "getbinpkgonly", k: "usepkg", K: "usepkgonly", b: "buildpkg", B: "buildpkgonly", f: "fetchonly", O: "nodeps", o: "onlydeps", U: "changedUse",
};

const LONG: Record<string, keyof EmergeOptions> = {
  pretend: "pretend", verbose: "verbose", quiet: "quiet", update: "update", deep: "deep", newuse: "newuse", emptytree: "emptytree",
  oneshot: "oneshot", noreplace: "noreplace", getbinpkg: "getbinpkg", getbinpkgonly: "getbinpkgonly", usepkg: "usepkg", tree: "tree", columns: "columns", nodeps: "nodeps", onlydeps: "onlydeps", "changed-use": "changedUse",
  usepkgonly: "usepkgonly", buildpkg: "buildpkg", buildpkgonly: "buildpkgonly", fetchonly: "fetchonly", sync: "sync", info: "info", version: "version",
};

/** Options emerge accepts that change nothing in the simulation (output colour, parallelism, …). */
const ACCEPTED = new Set(["color", "nospinner", "jobs", "load-average", "keep-going", "with-bdeps", "backtrack", "ask-enter-invalid"]);

/** Parses emerge's command line: bundled short options (`-pvuDN`), `--opt`, `--opt=value`, targets. */
export function parseEmergeArgs(argv: readonly string[]): EmergeOptions {
  const o: EmergeOptions = {
    pretend: false, verbose: false, quiet: false, update: false, deep: false, newuse: false, emptytree: false, oneshot: false,
    noreplace: false, getbinpkg: false, getbinpkgonly: false, usepkg: false, usepkgonly: false, buildpkg: false, buildpkgonly: false,
    fetchonly: false, sync: false, info: false, version: false, respectUse: true, respectUseExplicit: false, tree: false, columns: false, nodeps: false, onlydeps: false, changedUse: false, exclude: [], targets: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [name, value] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (name === "binpkg-respect-use") {
        o.respectUse = value !== "n";
        o.respectUseExplicit = value === "y" || value === "n";
      }
      else if (name === "exclude") o.exclude.push(...(value ?? argv[++i] ?? "").split(/\s+/).filter((x) => x !== ""));
      else if (name === "reinstall") o.changedUse ||= (value ?? argv[++i]) === "changed-use";
      else if (name === "ask") throw new SimError("emerge: --ask needs a terminal; portage-sim has none", 1);
      else if (LONG[name] !== undefined) (o as unknown as Record<string, boolean>)[LONG[name]!] = value === undefined || value === "y";
      else if (!ACCEPTED.has(name)) throw new SimError(`emerge: error: unrecognized arguments: ${a}`, 2, `usage: emerge [-h] [--version] …\nemerge: error: unrecognized arguments: ${a}\n`);
    } else if (a.startsWith("-") && a.length > 1) {
      for (const ch of a.slice(1)) {
        const key = SHORT[ch];
        if (key === undefined) throw new SimError(`emerge: error: unrecognized arguments: -${ch}`, 2, `emerge: error: unrecognized arguments: -${ch}\n`);
        (o as unknown as Record<string, boolean>)[key] = true;
      }
    } else {
      o.targets.push(a);
    }
  }
  // Portage's implications: -G implies -g and -K, -K implies -k, -g implies -k.
  if (o.getbinpkgonly) o.getbinpkg = o.usepkgonly = true;
  if (o.usepkgonly || o.getbinpkg) o.usepkg = true;
  return o;
}
