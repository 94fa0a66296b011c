import { constants } from "node:fs";
import { access, chmod, cp, mkdir, readFile, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, relative, resolve } from "node:path";
import { execa } from "execa";
import { MachineError } from "./errors.js";
import { stopMarkedGpgAgents } from "./gpg-agents.js";
import { enterMachine } from "./locate.js";
import type { PreparedPortage } from "./prepare.js";

/** The lab node's make.conf the fixtures were captured with (no sandbox binary on Debian). */
export const NODE_MAKE_CONF = `# binfleet lab: agent node
COMMON_FLAGS="-O2 -pipe"
CFLAGS="\${COMMON_FLAGS}"
CXXFLAGS="\${COMMON_FLAGS}"
FEATURES="-sandbox -usersandbox"
ACCEPT_LICENSE="*"
NOCOLOR="true"
EMERGE_WARNING_DELAY="0"
CLEAN_DELAY="0"
`;

/** The lab builder's make.conf: the node's plus buildpkg into /var/cache/binpkgs as gpkg. */
export const BUILDER_MAKE_CONF = `${NODE_MAKE_CONF.replace("# binfleet lab: agent node", "# binfleet lab: coordinator/builder").replace('FEATURES="-sandbox -usersandbox"', 'FEATURES="-sandbox -usersandbox buildpkg"')}BINPKG_FORMAT="gpkg"
PKGDIR="/var/cache/binpkgs"
`;

const REPOS_CONF = `[DEFAULT]
main-repo = gentoo

[gentoo]
location = /var/db/repos/gentoo
auto-sync = no
`;

export interface MachineOptions {
  readonly portage: PreparedPortage;
  /** Profile below the repository's `profiles/` that /etc/portage/make.profile points at. */
  readonly profile?: string;
  /** /etc/portage/make.conf; default {@link NODE_MAKE_CONF}. */
  readonly makeConf?: string;
  /** Lines of /etc/portage/package.use/binfleet (none: no file). */
  readonly packageUse?: readonly string[];
  /** Entries of /var/lib/portage/world (none: no file). */
  readonly world?: readonly string[];
  /** The repository copied to /var/db/repos/gentoo; default the tiny repo beside the tarball. */
  readonly repo?: string;
  /** More files, by absolute path as the machine sees them: `{ "/etc/portage/package.mask/x": "…" }`. */
  readonly files?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Environment for the command, on top of HOME=/root (the caller's own environment is not passed). */
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Killed after this many milliseconds (default 5 minutes). */
  readonly timeoutMs?: number;
}

/**
 * A directory that is one Gentoo machine's state, run with real Portage through `bin/enter-machine`.
 * `etc/` and `usr/` are upper layers over the host's /etc and /usr (so etc/portage/… is complete,
 * and what Portage merges lands in usr/), `var/` and `run/` are the machine's own /var and /run.
 * Read from the host, `dir` is the machine's root for everything Portage keeps: var/db/pkg,
 * var/lib/portage/world, etc/portage, var/cache/binpkgs.
 */
export class Machine {
  private constructor(
    readonly dir: string,
    readonly portage: PreparedPortage,
  ) {}

  /** Writes a machine into `dir` (which must not exist or be empty). */
  static async create(dir: string, options: MachineOptions): Promise<Machine> {
    const root = resolve(dir);
    const existing = await readdir(root).catch(() => []);
    if (existing.length > 0) throw new MachineError(`${root} is not empty`, root);
    const m = new Machine(root, options.portage);
    for (const d of ["etc/portage/repos.conf", "usr/share/portage", "var/db/pkg", "var/db/repos", "var/lib/portage", "var/cache/binpkgs", "var/cache/distfiles", "var/log", "run/lock"]) {
      await mkdir(join(root, d), { recursive: true });
    }
    await mkdir(join(root, "var/tmp"), { recursive: true, mode: 0o1777 });
    await chmod(join(root, "var/tmp"), 0o1777);
    await symlink(options.portage.dir, join(root, "portage"));
    // bin/enter-machine mounts the prepared Portage at /usr/lib/binfleet-portage.
    await mkdir(join(root, "usr/lib/binfleet-portage"), { recursive: true });
    await symlink("../../lib/binfleet-portage/src/cnf", join(root, "usr/share/portage/config"));
    await writeFile(join(root, "etc/passwd"), withLine(await readFile("/etc/passwd", "utf8"), /^portage:/m, "portage:x:250:250:portage:/var/tmp/portage:/bin/false"));
    await writeFile(join(root, "etc/group"), withLine(await readFile("/etc/group", "utf8"), /^portage:/m, "portage:x:250:portage"));
    await cp(options.repo ?? options.portage.repo, join(root, "var/db/repos/gentoo"), { recursive: true });
    await makeWritable(join(root, "var/db/repos/gentoo"));
    await symlink(`/var/db/repos/gentoo/profiles/${options.profile ?? "binfleet/amd64"}`, join(root, "etc/portage/make.profile"));
    await m.writeFile("/etc/portage/make.conf", options.makeConf ?? NODE_MAKE_CONF);
    await m.writeFile("/etc/portage/repos.conf/gentoo.conf", REPOS_CONF);
    if (options.packageUse !== undefined) await m.writeFile("/etc/portage/package.use/binfleet", lines(options.packageUse));
    if (options.world !== undefined) await m.writeFile("/var/lib/portage/world", lines(options.world));
    for (const [path, text] of Object.entries(options.files ?? {})) await m.writeFile(path, text);
    return m;
  }

  /** Opens a machine made earlier. */
  static async open(dir: string, portage: PreparedPortage): Promise<Machine> {
    const root = resolve(dir);
    for (const d of ["etc", "usr", "var", "run", "portage"]) {
      await access(join(root, d), constants.R_OK).catch((err: unknown) => {
        throw new MachineError(`${root} is not a machine: ${d} is missing`, root, { cause: err });
      });
    }
    return new Machine(root, portage);
  }

  /** A copy of this machine (its whole state, installed packages included) in `dir`. */
  async clone(dir: string): Promise<Machine> {
    const root = resolve(dir);
    await mkdir(dirname(root), { recursive: true });
    // cp -a keeps what fs.cp does not: overlay whiteouts (character devices), owners, hard links.
    const r = await execa("cp", ["-a", "--", this.dir, root], { reject: false });
    if (r.exitCode !== 0) throw new MachineError(`cp -a ${this.dir} ${root} failed: ${r.stderr}`, root);
    await rm(join(root, ".overlay"), { recursive: true, force: true });
    return new Machine(root, this.portage);
  }

  /** The host path of a path as the machine sees it ("/etc/portage/make.conf"); refuses paths that climb out. */
  path(p: string): string {
    const inner = normalize(isAbsolute(p) ? p : `/${p}`);
    const full = join(this.dir, inner);
    const rel = relative(this.dir, full);
    if (rel.startsWith("..") || isAbsolute(rel)) throw new MachineError(`path escapes the machine: ${p}`, this.dir);
    return full;
  }

  async writeFile(p: string, text: string): Promise<void> {
    const full = this.path(p);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  }

  async readFile(p: string): Promise<string> {
    return readFile(this.path(p), "utf8");
  }

  async removeFile(p: string): Promise<void> {
    await rm(this.path(p), { recursive: true, force: true });
  }

  /** The argv prefix that runs a command on this machine: `[...machine.argv("emerge"), "-pv", …]`. */
  argv(command: string): string[] {
    return [enterMachine, this.dir, command];
  }

  /** Runs argv on the machine (see bin/enter-machine); never throws for a non-zero exit. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new MachineError("run needs a command", this.dir);
    const r = await execa(enterMachine, [this.dir, ...argv], {
      env: { HOME: "/root", ...options.env },
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      timeout: options.timeoutMs ?? 300_000,
      ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    });
    if (r.exitCode === undefined) throw new MachineError(`${argv[0]} did not run on the machine: ${r.message}`, this.dir, { cause: r });
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /**
   * Stops what commands on the machine left running: gpg-agents of GnuPG homes inside it, and any
   * gpg-agent a command on the machine started (enter-machine marks them with BINFLEET_MACHINE).
   */
  async dispose(): Promise<void> {
    for (const home of await gnupgHomes(this.dir)) {
      await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { reject: false });
    }
    await stopMarkedGpgAgents("BINFLEET_MACHINE", await realpath(this.dir).catch(() => this.dir));
  }
}

function lines(entries: readonly string[]): string {
  return entries.map((l) => `${l}\n`).join("");
}

function withLine(text: string, present: RegExp, line: string): string {
  if (present.test(text)) return text;
  return `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${line}\n`;
}

/** The shared repository is read-only; its copy must be writable (egencache, new ebuilds). */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await makeWritable(p);
    else if (e.isFile()) await chmod(p, 0o644);
  }
}

/** Directories holding a gpg-agent socket: homes an agent was started for (from the host or the machine). */
async function gnupgHomes(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isSocket() && e.name === "S.gpg-agent") out.push(d);
      else if (e.isDirectory() && !(d === dir && (e.name === ".overlay" || e.name === "usr"))) await walk(p);
    }
  };
  await walk(dir);
  return out;
}
