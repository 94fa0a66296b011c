// npm run dist: the release tarball the Gentoo ebuilds fetch, built from the compiled workspace.
import { createHash } from "node:crypto";
import { chmod, cp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AGENT_DOC } from "@binfleet/agent";
import { bashCompletion, cliDoc, zshCompletion } from "@binfleet/cli";
import { COORDINATOR_DOC } from "@binfleet/coordinator";
import { BINFLEET_RELEASE_DATE, BINFLEET_VERSION, type ProgramDoc, renderMan } from "@binfleet/shared";
import { build } from "esbuild";
import { execa } from "execa";

/** The repository (this file compiles to release/dist/make-release.js). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The programs the release installs: each one self-contained file, run by plain `node`. */
const PROGRAMS = [
  { name: "binfleet", entry: "packages/cli/bin/binfleet.js" },
  { name: "binfleet-agent", entry: "packages/agent/bin/binfleet-agent.js" },
  { name: "binfleet-coordinator", entry: "packages/coordinator/bin/binfleet-coordinator.js" },
  { name: "binfleet-portage", entry: "packages/shared/bin/binfleet-portage.js" },
] as const;

const DOCS: readonly ProgramDoc[] = [cliDoc(), AGENT_DOC, COORDINATOR_DOC];

export interface Release {
  readonly version: string;
  /** The unpacked tree, `binfleet-<version>/`. */
  readonly tree: string;
  readonly tarball: string;
  /** Packages whose code is in the bundles, with their licences (the ebuilds' LICENSE). */
  readonly licenses: ReadonlyMap<string, string>;
}

/** Seconds since the epoch every file in the tarball is dated: the release's day, so the same files make the same bytes. */
function sourceDate(): number {
  return process.env["SOURCE_DATE_EPOCH"] !== undefined ? Number(process.env["SOURCE_DATE_EPOCH"]) : Date.parse(`${BINFLEET_RELEASE_DATE}T00:00:00Z`) / 1000;
}

/** The npm package a bundled input file belongs to ("" for the repository's own code). */
function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1] ?? "";
}

export type ProgramName = (typeof PROGRAMS)[number]["name"];

/**
 * One program's bundle: a self-contained executable ES module (its entry's `#!` line kept, with the
 * Node flags it runs under). Returns the npm packages whose code it holds.
 */
async function bundleProgram(name: ProgramName, outfile: string): Promise<Set<string>> {
  const program = PROGRAMS.find((p) => p.name === name)!;
  const result = await build({
    entryPoints: [join(repoRoot, program.entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    metafile: true,
    legalComments: "none",
    // Smaller source for V8 to hold: names are kept, so stack traces in logs still read.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
    // CommonJS dependencies call require(): give the ES module bundle one.
    banner: { js: 'import { createRequire as __binfleetRequire } from "node:module"; const require = __binfleetRequire(import.meta.url);' },
  });
  await chmod(outfile, 0o755);
  return new Set(Object.keys(result.metafile.inputs).map(packageOf).filter((p) => p !== ""));
}

/** A program as installed under a prefix: its bundle, and the command that runs it. */
export interface InstalledProgram {
  /** `<prefix>/bin/<name>`, what an admin (or a service file) runs. */
  readonly bin: string;
  /** The npm packages whose code the bundle holds. */
  readonly packages: Set<string>;
}

/**
 * A program laid out under `prefix` as the release tree and the ebuilds install it: the bundle as
 * `libexec/binfleet/<name>.mjs`, and `bin/<name>` a relative symlink to it. Node runs a symlinked
 * main file under its real name, and `.mjs` is loaded as an ES module at once; an extensionless
 * bundle would first be tried as CommonJS, which reads the megabyte-sized file a second time and
 * leaves glibc's mmap threshold raised to that size, so later allocations of that size stay in the
 * brk heap: the idle agent kept 2–4 MiB more (npm run bench -- --only agent.rss).
 */
export async function installProgram(name: ProgramName, prefix: string): Promise<InstalledProgram> {
  const file = join(prefix, "libexec/binfleet", `${name}.mjs`);
  const bin = join(prefix, "bin", name);
  const packages = await bundleProgram(name, file);
  await mkdir(dirname(bin), { recursive: true });
  await symlink(relative(dirname(bin), file), bin);
  return { bin, packages };
}

async function bundle(out: string): Promise<Map<string, string>> {
  const packages = new Set<string>();
  for (const p of PROGRAMS) for (const name of (await installProgram(p.name, out)).packages) packages.add(name);
  const licenses = new Map<string, string>();
  for (const name of [...packages].sort()) {
    const pkg = JSON.parse(await readFile(join(repoRoot, "node_modules", name, "package.json"), "utf8")) as { license?: string };
    licenses.set(name, pkg.license ?? "UNKNOWN");
  }
  return licenses;
}

async function writeDocs(out: string): Promise<void> {
  const date = new Date(sourceDate() * 1000).toISOString().slice(0, 10);
  for (const doc of DOCS) {
    const dir = join(out, "share/man", `man${doc.section}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${doc.name}.${doc.section}`), renderMan(doc, BINFLEET_VERSION, date));
  }
  await mkdir(join(out, "share/bash-completion/completions"), { recursive: true });
  await writeFile(join(out, "share/bash-completion/completions/binfleet"), bashCompletion());
  await mkdir(join(out, "share/zsh/site-functions"), { recursive: true });
  await writeFile(join(out, "share/zsh/site-functions/_binfleet"), zshCompletion());
}

/** Every file under a directory, relative to it, sorted. */
async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(root, p)));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** The DIST line of a Gentoo Manifest for a file (the hashes Gentoo's own repository uses). */
export async function manifestDist(file: string): Promise<string> {
  const data = await readFile(file);
  const blake2b = createHash("blake2b512").update(data).digest("hex");
  const sha512 = createHash("sha512").update(data).digest("hex");
  return `DIST ${file.split("/").pop()} ${data.length} BLAKE2B ${blake2b} SHA512 ${sha512}\n`;
}

export interface ReleaseOptions {
  /** Where the tree and tarball go; default build/release. */
  readonly outDir?: string;
  /** The overlay whose Manifests are pointed at the tarball; default the repository's gentoo/ (a test passes its copy). */
  readonly overlay?: string;
}

/** Builds `<outDir>/binfleet-<version>/` and its tarball, and points the overlay's Manifests at it. */
export async function makeRelease(options: ReleaseOptions = {}): Promise<Release> {
  const outDir = options.outDir ?? join(repoRoot, "build/release");
  const overlay = options.overlay ?? join(repoRoot, "gentoo");
  const version = BINFLEET_VERSION;
  const name = `binfleet-${version}`;
  const tree = join(outDir, name);
  await rm(tree, { recursive: true, force: true });
  await mkdir(tree, { recursive: true });
  const licenses = await bundle(tree);
  await writeDocs(tree);
  await cp(join(repoRoot, "release/files"), tree, { recursive: true });
  await cp(join(repoRoot, "LICENSE"), join(tree, "LICENSE"));
  await cp(join(repoRoot, "README.md"), join(tree, "README.md"));
  await writeFile(join(tree, "THIRD-PARTY-LICENSES"), [...licenses].map(([p, l]) => `${p}: ${l}\n`).join(""));
  const tarball = join(outDir, `${name}.tar.gz`);
  const epoch = sourceDate();
  const files = await filesUnder(tree);
  // Reproducible: names sorted, one date, no owners, gzip without a timestamp.
  const tar = await execa("tar", ["--create", "--file=-", `--mtime=@${epoch}`, "--owner=0", "--group=0", "--numeric-owner", "--mode=go-w", "-C", outDir, ...files.map((f) => `${name}/${f}`)], { encoding: "buffer" });
  const gz = await execa("gzip", ["-9", "-n", "-c"], { input: tar.stdout, encoding: "buffer" });
  await writeFile(tarball, gz.stdout);
  for (const pkg of ["app-admin/binfleet", "app-admin/binfleet-agent"]) {
    const dir = join(overlay, pkg);
    if (await stat(dir).then((s) => s.isDirectory(), () => false)) await writeFile(join(dir, "Manifest"), await manifestDist(tarball));
  }
  return { version, tree, tarball, licenses };
}
