import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { execa } from "execa";
import { PortageSourceError } from "./errors.js";
import { type PortageLocation, locatePortage, skipNote } from "./locate.js";

export interface PreparedPortage {
  /** The cache entry: `<cacheDir>/portage-<sha256 prefix>`; a machine's `portage` symlink points here. */
  readonly dir: string;
  /** The unpacked source tree (run from source: no build step). */
  readonly src: string;
  /** `src/lib`: PYTHONPATH. */
  readonly lib: string;
  /** `src/bin`: emerge, portageq, ebuild, egencache, … */
  readonly bin: string;
  /** `src/cnf`: what /usr/share/portage/config is on a Gentoo box (make.globals, repos.conf). */
  readonly cnf: string;
  /** Commands Portage calls that Debian names differently: `gtar` (tar) and `python` (python3). */
  readonly tools: string;
  /** The tiny repository beside the tarball. */
  readonly repo: string;
  readonly sha256: string;
}

/** Trees a machine replaces with its own: a cache entry there would vanish inside every machine. */
const HIDDEN = ["/etc", "/usr", "/var", "/run"];

/** Where prepared Portage and cached builds live: $XDG_CACHE_HOME/binfleet or ~/.cache/binfleet. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "binfleet");
}

/** A Debian command's absolute path, from the first of `candidates` that exists. */
function hostCommand(candidates: readonly string[], tarball: string): string {
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new PortageSourceError(`none of ${candidates.join(", ")} exists: Portage needs it`, tarball);
  return found;
}

async function verifiedDigest(location: PortageLocation): Promise<string> {
  const sums = await readFile(location.sums, "utf8");
  const name = basename(location.tarball);
  const expected = sums
    .split("\n")
    .map((l) => /^([0-9a-f]{64})\s+\*?(.+)$/.exec(l.trim()))
    .find((m) => m !== null && m[2] === name)?.[1];
  if (expected === undefined) throw new PortageSourceError(`${location.sums} lists no SHA256 for ${name}`, location.tarball);
  const actual = createHash("sha256").update(await readFile(location.tarball)).digest("hex");
  if (actual !== expected) throw new PortageSourceError(`${name} has SHA256 ${actual}, but SHA256SUMS says ${expected}`, location.tarball);
  return actual;
}

/**
 * Unpacks the Portage tarball (after checking it against SHA256SUMS) into a cache entry keyed by
 * its digest, once: later and concurrent callers get the same entry. It is unpacked beside the
 * entry and renamed into place, so an entry that exists is complete.
 */
export async function preparePortage(options: { cacheDir?: string; location?: PortageLocation; env?: NodeJS.ProcessEnv } = {}): Promise<PreparedPortage> {
  const env = options.env ?? process.env;
  const location = options.location ?? locatePortage(env);
  if (location === null) throw new PortageSourceError(skipNote, "");
  const sha256 = await verifiedDigest(location);
  const cacheDir = resolve(options.cacheDir ?? cacheRoot(env));
  if (HIDDEN.some((h) => cacheDir === h || cacheDir.startsWith(`${h}/`))) {
    throw new PortageSourceError(`cache directory ${cacheDir} is under ${HIDDEN.join(", ")}, which every machine replaces with its own`, location.tarball);
  }
  const dir = join(cacheDir, `portage-${sha256.slice(0, 16)}`);
  const prepared: PreparedPortage = {
    dir,
    src: join(dir, "src"),
    lib: join(dir, "src/lib"),
    bin: join(dir, "src/bin"),
    cnf: join(dir, "src/cnf"),
    tools: join(dir, "tools"),
    repo: location.repo,
    sha256,
  };
  if (existsSync(join(dir, "src/lib/portage"))) return prepared;

  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, `.portage-${sha256.slice(0, 16)}-`));
  try {
    await mkdir(join(tmp, "src"));
    const r = await execa("tar", ["-xzf", location.tarball, "-C", join(tmp, "src"), "--strip-components=1"], { reject: false });
    if (r.exitCode !== 0) throw new PortageSourceError(`tar could not unpack ${location.tarball}: ${r.stderr}`, location.tarball);
    // Machines mount the source read-only: without bytecode written now, every Portage process
    // (a build starts dozens) would compile its modules again. Tracebacks name the path machines see.
    const compiled = await execa(hostCommand(["/usr/bin/python3"], location.tarball), ["-m", "compileall", "-q", "-s", tmp, "-p", "/usr/lib/binfleet-portage", join(tmp, "src/lib")], { reject: false });
    if (compiled.exitCode !== 0) throw new PortageSourceError(`python3 -m compileall failed: ${compiled.stderr}`, location.tarball);
    await mkdir(join(tmp, "tools"));
    await symlink(hostCommand(["/usr/bin/tar", "/bin/tar"], location.tarball), join(tmp, "tools/gtar"));
    await symlink(hostCommand(["/usr/bin/python3"], location.tarball), join(tmp, "tools/python"));
    await writeFile(join(tmp, "SHA256"), `${sha256}  ${basename(location.tarball)}\n`);
    // mkdtemp made it 0700; builds run as the portage user and must read the source.
    await chmod(tmp, 0o755);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another caller finished first: its entry is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return prepared;
}
