import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's directory (this file compiles to packages/real-portage/dist/locate.js). */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `bin/enter-machine`: the argv prefix that runs a command on a machine (`[enterMachine, dir, "emerge", …]`). */
export const enterMachine = join(packageDir, "bin", "enter-machine");

/** `bin/with-build-root`: assembles a machine's `root/` in a private mount namespace, then runs the rest (e.g. bwrap). */
export const withBuildRoot = join(packageDir, "bin", "with-build-root");

/** Where real Portage is looked for: $BINFLEET_PORTAGE, else `../shared/portage` beside the clone. */
export function portageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["BINFLEET_PORTAGE"] || resolve(packageDir, "../../../shared/portage");
}

/** Reason for `test(…, { skip })` when real Portage is absent. */
export const skipNote = `real Portage not found: expected its source tarball and tiny repo in ${portageDir()} (../shared/portage beside the clone, or set BINFLEET_PORTAGE)`;

export interface PortageLocation {
  /** The Portage source tarball (`portage-<describe>.tar.gz`). */
  readonly tarball: string;
  /** `SHA256SUMS` beside it. */
  readonly sums: string;
  /** The tiny ebuild repository named `gentoo` (copy it before changing anything). */
  readonly repo: string;
}

/** The Portage source and tiny repository, or null when absent (callers skip with {@link skipNote}). */
export function locatePortage(env: NodeJS.ProcessEnv = process.env): PortageLocation | null {
  const dir = portageDir(env);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const tarballs = names.filter((n) => /^portage-.+\.tar\.gz$/.test(n)).sort();
  const tarball = tarballs[tarballs.length - 1];
  const sums = join(dir, "SHA256SUMS");
  const repo = join(dir, "repo");
  if (tarball === undefined || !existsSync(sums) || !existsSync(join(repo, "profiles/repo_name"))) return null;
  return { tarball: join(dir, tarball), sums, repo };
}
