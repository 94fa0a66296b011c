import { createHash } from "node:crypto";
import { readFile, readdir, readlink, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { type Atom, parseAtom, parseMakeConf } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import { Repository } from "./repository.js";
import type { SimRoot } from "./sim-root.js";

/** Variables whose values stack across profile, make.conf and environment (`-flag`, `-*`). */
const INCREMENTAL = new Set([
  "USE", "USE_EXPAND", "USE_EXPAND_HIDDEN", "USE_EXPAND_IMPLICIT", "USE_EXPAND_UNPREFIXED", "IUSE_IMPLICIT",
  "FEATURES", "ACCEPT_KEYWORDS", "ACCEPT_LICENSE", "CONFIG_PROTECT", "CONFIG_PROTECT_MASK",
]);

/** Portage's /usr/share/portage/config/make.globals, as far as the simulator uses it. */
const MAKE_GLOBALS: Readonly<Record<string, string>> = { GENTOO_MIRRORS: "http://distfiles.gentoo.org" };

/** make.conf keys a caller may override from the environment, as `FEATURES=… emerge …` does. */
const ENV_KEYS = [
  "USE", "FEATURES", "ACCEPT_KEYWORDS", "PKGDIR", "DISTDIR", "PORTAGE_BINHOST", "BINPKG_FORMAT", "BINPKG_COMPRESS",
  "BINPKG_GPG_SIGNING_GPG_HOME", "BINPKG_GPG_SIGNING_KEY", "BINPKG_GPG_SIGNING_DIGEST", "BINPKG_GPG_VERIFY_GPG_HOME",
  "CFLAGS", "CXXFLAGS", "LDFLAGS", "MAKEOPTS", "GENTOO_MIRRORS", "EMERGE_DEFAULT_OPTS",
];

/** One binary package source: a binrepos.conf section or a PORTAGE_BINHOST URL. */
export interface Binrepo {
  /** Section name; for PORTAGE_BINHOST, md5 of the URL as Portage names it. */
  readonly name: string;
  readonly uri: string;
  readonly priority: number;
  readonly verifySignature: boolean;
  /** Where fetched packages go: `/var/cache/binhost/<name>` for binrepos.conf, PKGDIR for PORTAGE_BINHOST. */
  readonly location: string;
  readonly fromBinreposConf: boolean;
}

export interface RepoConf {
  readonly name: string;
  readonly location: string;
  readonly syncUri: string;
  readonly syncType: string;
}

export interface PackageFlags {
  readonly atom: Atom;
  readonly tokens: readonly string[];
}

/** A package.mask entry with where it came from, for "masked by: package.mask" messages. */
export interface MaskEntry {
  readonly atom: Atom;
  /** The file as the system names it (/etc/portage/package.mask/…). */
  readonly file: string;
  /** The comment block Portage's getmaskingreason attributes to it ("# why\n"), or "". */
  readonly comment: string;
}

/** The Portage configuration of one simulated root, computed as Portage stacks it. */
export interface PortageConfig {
  readonly root: SimRoot;
  /** Every variable after profile, make.conf and environment (incrementals resolved). */
  readonly vars: Readonly<Record<string, string>>;
  readonly profilePath: string;
  /** Global USE (profile + make.conf + env), USE_EXPAND variables expanded into flags. */
  readonly use: ReadonlySet<string>;
  /** USE tokens of the profile and make.conf layers in order, USE_EXPAND expanded (`python_targets_python3_12`, `-python_targets_*`). */
  readonly useLayers: readonly (readonly string[])[];
  /** USE tokens from the environment: applied after package.use, as Portage's USE_ORDER does. */
  readonly useEnv: readonly string[];
  readonly useForce: ReadonlySet<string>;
  readonly useMask: ReadonlySet<string>;
  readonly useExpand: readonly string[];
  readonly useExpandHidden: readonly string[];
  readonly acceptKeywords: ReadonlySet<string>;
  readonly features: ReadonlySet<string>;
  readonly packageUse: readonly PackageFlags[];
  readonly packageAcceptKeywords: readonly PackageFlags[];
  readonly packageMask: readonly MaskEntry[];
  readonly packageUnmask: readonly Atom[];
  readonly repos: readonly RepoConf[];
  readonly binrepos: readonly Binrepo[];
  /** Real paths (inside the root). */
  readonly pkgdir: string;
  readonly distdir: string;
  readonly vdb: string;
  readonly worldFile: string;
  readonly worldSetsFile: string;
}

/** Applies incremental tokens: `flag` adds, `-flag` removes, `-*` clears, `-prefix_*` clears a USE_EXPAND group. */
export function stack(current: readonly string[], tokens: string | readonly string[]): string[] {
  const list = typeof tokens === "string" ? tokens.split(/\s+/) : tokens;
  let out = [...current];
  for (const tok of list) {
    if (tok === "") continue;
    if (tok === "-*") out = [];
    else if (tok.startsWith("-") && tok.endsWith("*")) out = out.filter((x) => !x.startsWith(tok.slice(1, -1)));
    else if (tok.startsWith("-")) out = out.filter((x) => x !== tok.slice(1));
    else if (!out.includes(tok)) out.push(tok);
  }
  return out;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw err;
  }
}

/** Reads a Portage config file that may also be a directory of files (read in name order). */
async function readFileOrDir(path: string): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [(await readText(path)) ?? ""];
  const out: string[] = [];
  for (const name of (await readdir(path)).sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    out.push(...(await readFileOrDir(join(path, name))));
  }
  return out;
}

/** Like {@link readFileOrDir}, with each file's path as the simulated system names it. */
async function readNamedFileOrDir(root: SimRoot, path: string): Promise<{ file: string; text: string }[]> {
  let st;
  try {
    st = await stat(root.path(path));
  } catch {
    return [];
  }
  if (!st.isDirectory()) return [{ file: path, text: (await readText(root.path(path))) ?? "" }];
  const out: { file: string; text: string }[] = [];
  for (const name of (await readdir(root.path(path))).sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    out.push(...(await readNamedFileOrDir(root, `${path}/${name}`)));
  }
  return out;
}

/**
 * package.mask entries with the comment getmaskingreason attributes to each: the comment lines
 * above it, kept across consecutive entries and forgotten at a blank line.
 */
function parseMaskFiles(files: readonly { file: string; text: string }[]): MaskEntry[] {
  const out: MaskEntry[] = [];
  for (const { file, text } of files) {
    let comment = "";
    let valid = false;
    for (const raw of text.split("\n")) {
      const l = raw.trim();
      if (l === "") {
        comment = "";
        valid = false;
      } else if (l.startsWith("#")) {
        comment += `${l}\n`;
        valid = true;
      } else {
        try {
          out.push({ atom: parseAtom(l), file, comment: valid ? comment : "" });
        } catch {
          // Portage warns about the invalid atom and skips it.
        }
      }
    }
  }
  return out;
}

function lines(texts: readonly string[]): string[] {
  return texts.flatMap((t) => t.split("\n")).map((l) => l.replace(/#.*/, "").trim()).filter((l) => l !== "");
}

/** package.use style files: `atom token…`, with `USE_EXPAND_NAME: value…` sections on a line. */
function parsePackageFlags(texts: readonly string[]): PackageFlags[] {
  const out: PackageFlags[] = [];
  for (const line of lines(texts)) {
    const [atomText, ...rest] = line.split(/\s+/);
    let atom: Atom;
    try {
      atom = parseAtom(atomText!);
    } catch {
      continue; // Portage warns and skips invalid atoms here
    }
    const tokens: string[] = [];
    let prefix = "";
    for (const t of rest) {
      if (t.endsWith(":")) prefix = `${t.slice(0, -1).toLowerCase()}_`;
      else tokens.push(t.startsWith("-") ? `-${prefix}${t.slice(1)}` : `${prefix}${t}`);
    }
    out.push({ atom, tokens });
  }
  return out;
}

/** Profile directories from the root of the inheritance chain down to `dir` (parents first). */
async function profileChain(dir: string, repoLocations: ReadonlyMap<string, string>, depth = 0): Promise<string[]> {
  if (depth > 32) throw new SimError(`profile inheritance too deep at ${dir}`);
  const parents = lines([(await readText(join(dir, "parent"))) ?? ""]);
  const out: string[] = [];
  for (const p of parents) {
    // "gentoo:default/linux" names a profile in another repository's profiles/.
    const m = /^([A-Za-z0-9_-]+):(.*)$/.exec(p);
    const parentDir = m !== null && repoLocations.has(m[1]!) ? join(repoLocations.get(m[1]!)!, "profiles", m[2]!) : resolve(dir, p);
    out.push(...(await profileChain(parentDir, repoLocations, depth + 1)));
  }
  out.push(dir);
  return out;
}

function parseIni(texts: readonly string[]): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | null = null;
  for (const line of lines(texts)) {
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s !== null) {
      current = sections.get(s[1]!) ?? {};
      sections.set(s[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && current !== null) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}

export async function loadPortageConfig(root: SimRoot, env: NodeJS.ProcessEnv): Promise<PortageConfig> {
  const reposSections = parseIni(await readFileOrDir(root.path("/etc/portage/repos.conf")));
  const repos: RepoConf[] = [];
  for (const [name, s] of reposSections) {
    if (name === "DEFAULT") continue;
    repos.push({
      name,
      // Locations are paths of the simulated system.
      location: root.path(s["location"] ?? `/var/db/repos/${name}`),
      syncUri: s["sync-uri"] ?? "",
      syncType: s["sync-type"] ?? "",
    });
  }
  if (repos.length === 0) repos.push({ name: "gentoo", location: root.path("/var/db/repos/gentoo"), syncUri: "", syncType: "" });
  const repoLocations = new Map(repos.map((r) => [r.name, r.location]));

  const profileLink = root.path("/etc/portage/make.profile");
  let profilePath: string;
  try {
    const target = await readlink(profileLink);
    profilePath = isAbsolute(target) ? root.path(target) : resolve(dirname(profileLink), target);
  } catch {
    throw new SimError("!!! Your current profile is invalid. If you have just changed your profile\n!!! configuration, you should revert back to the previous configuration.", 1);
  }

  // Stack make.defaults (parents first), then make.conf, then the environment.
  const layers: Record<string, string>[] = [MAKE_GLOBALS];
  let inherited: Record<string, string> = { ...MAKE_GLOBALS };
  const chain = await profileChain(profilePath, repoLocations);
  const useForce: string[] = [];
  const useMask: string[] = [];
  for (const dir of chain) {
    const text = await readText(join(dir, "make.defaults"));
    if (text !== null) {
      const { vars } = parseMakeConf(text, inherited);
      layers.push(vars);
      inherited = { ...inherited, ...vars };
    }
    useForce.splice(0, useForce.length, ...stack(useForce, lines([(await readText(join(dir, "use.force"))) ?? ""]).join(" ")));
    useMask.splice(0, useMask.length, ...stack(useMask, lines([(await readText(join(dir, "use.mask"))) ?? ""]).join(" ")));
  }
  for (const text of await readFileOrDir(root.path("/etc/portage/make.conf"))) {
    const { vars } = parseMakeConf(text, inherited);
    layers.push(vars);
    inherited = { ...inherited, ...vars };
  }
  const envLayer: Record<string, string> = {};
  for (const k of ENV_KEYS) if (env[k] !== undefined) envLayer[k] = env[k]!;
  layers.push(envLayer);

  const vars: Record<string, string> = {};
  const incremental: Record<string, string[]> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (INCREMENTAL.has(k)) incremental[k] = stack(incremental[k] ?? [], v);
      else vars[k] = v;
    }
  }
  for (const [k, v] of Object.entries(incremental)) vars[k] = v.join(" ");

  const words = (k: string): string[] => (vars[k] ?? "").split(/\s+/).filter((w) => w !== "");
  const useExpand = words("USE_EXPAND");
  const expandable = [...useExpand, ...words("USE_EXPAND_HIDDEN")];
  // Each layer's USE plus its USE_EXPAND variables written as flags (those are incremental too).
  const useLayers = layers.map((layer) => {
    const tokens = (layer["USE"] ?? "").split(/\s+/).filter((w) => w !== "");
    for (const ue of expandable) {
      for (const v of (layer[ue] ?? "").split(/\s+/)) {
        if (v === "") continue;
        const prefix = `${ue.toLowerCase()}_`;
        tokens.push(v === "-*" ? `-${prefix}*` : v.startsWith("-") ? `-${prefix}${v.slice(1)}` : `${prefix}${v}`);
      }
    }
    return tokens;
  });
  const useEnv = useLayers.pop()!;
  const use = stack(useLayers.reduce<string[]>((acc, l) => stack(acc, l), []), useEnv);
  for (const ue of expandable) {
    const prefix = `${ue.toLowerCase()}_`;
    vars[ue] = use.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length)).join(" ");
  }
  const arch = vars["ARCH"] ?? "";
  const forced = new Set(useForce);
  if (arch !== "") forced.add(arch);

  const binrepos: Binrepo[] = [];
  const pkgdir = root.path(vars["PKGDIR"] ?? "/var/cache/binpkgs");
  for (const [name, s] of parseIni(await readFileOrDir(root.path("/etc/portage/binrepos.conf")))) {
    if (name === "DEFAULT" || !s["sync-uri"]) continue;
    binrepos.push({
      name,
      uri: s["sync-uri"].replace(/\/+$/, ""),
      priority: Number(s["priority"] ?? 0),
      verifySignature: (s["verify-signature"] ?? "true").toLowerCase() !== "false",
      location: root.path(s["location"] ?? `/var/cache/binhost/${name}`),
      fromBinreposConf: true,
    });
  }
  for (const uri of words("PORTAGE_BINHOST")) {
    binrepos.push({
      name: createHash("md5").update(uri).digest("hex"),
      uri: uri.replace(/\/+$/, ""),
      priority: 0,
      verifySignature: false,
      location: pkgdir,
      fromBinreposConf: false,
    });
  }
  binrepos.sort((a, b) => b.priority - a.priority);

  return {
    root,
    vars,
    profilePath,
    use: new Set(use),
    useLayers,
    useEnv,
    useForce: forced,
    useMask: new Set(useMask),
    useExpand,
    useExpandHidden: words("USE_EXPAND_HIDDEN"),
    acceptKeywords: new Set(words("ACCEPT_KEYWORDS")),
    features: new Set(words("FEATURES")),
    packageUse: parsePackageFlags(await readFileOrDir(root.path("/etc/portage/package.use"))),
    packageAcceptKeywords: parsePackageFlags(await readFileOrDir(root.path("/etc/portage/package.accept_keywords"))),
    packageMask: parseMaskFiles(await readNamedFileOrDir(root, "/etc/portage/package.mask")),
    packageUnmask: lines(await readFileOrDir(root.path("/etc/portage/package.unmask"))).flatMap((l) => {
      try {
        return [parseAtom(l)];
      } catch {
        return [];
      }
    }),
    repos,
    binrepos,
    pkgdir,
    distdir: root.path(vars["DISTDIR"] ?? "/var/cache/distfiles"),
    vdb: root.path("/var/db/pkg"),
    worldFile: root.path("/var/lib/portage/world"),
    worldSetsFile: root.path("/var/lib/portage/world_sets"),
  };
}

/** Opens the configured repositories (the first is the main tree). */
export async function openRepositories(config: PortageConfig): Promise<Repository[]> {
  const out: Repository[] = [];
  for (const r of config.repos) {
    try {
      out.push(await Repository.open(r.location));
    } catch {
      // A repository that was never synced: Portage warns and goes on without it.
    }
  }
  if (out.length === 0) throw new SimError(`!!! No repository found: ${config.repos.map((r) => r.location).join(", ")} (run emerge --sync)`);
  return out;
}
