import { withBuildRoot } from "./locate.js";
import type { Machine } from "./machine.js";

/** The environment Portage needs inside a build root (what bin/enter-machine exports on a machine). */
export const BUILD_ROOT_ENV: Readonly<Record<string, string>> = {
  PYTHONPATH: "/usr/lib/binfleet-portage/src/lib",
  PATH: "/usr/lib/binfleet-portage/src/bin:/usr/lib/binfleet-portage/tools:/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C.UTF-8",
  TERM: "dumb",
  NOCOLOR: "true",
  NO_COLOR: "1",
};

export interface BuildRootOptions {
  /** Host paths bound read-write at a path inside the root, e.g. a PKGDIR: [[host, "/var/cache/binpkgs"]]. */
  readonly bind?: readonly (readonly [string, string])[];
  /** Host paths bound read-only, e.g. the repository or DISTDIR. */
  readonly roBind?: readonly (readonly [string, string])[];
  /** More environment inside (on top of {@link BUILD_ROOT_ENV}). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The argv that runs `command` with the machine as a bwrap build root: `with-build-root` assembles
 * `<machine>/root` from overlays in a private mount namespace (bubblewrap 0.8 cannot), then
 * `bwrap --bind <machine>/root / --proc /proc --dev /dev …` runs it there as `/`.
 */
export function buildRootArgv(machine: Machine, command: readonly string[], options: BuildRootOptions = {}): string[] {
  const argv = [withBuildRoot, machine.dir, "bwrap", "--bind", `${machine.dir}/root`, "/", "--proc", "/proc", "--dev", "/dev", "--die-with-parent", "--chdir", "/"];
  for (const [host, inside] of options.bind ?? []) argv.push("--bind", host, inside);
  for (const [host, inside] of options.roBind ?? []) argv.push("--ro-bind", host, inside);
  for (const [k, v] of Object.entries({ ...BUILD_ROOT_ENV, ...options.env })) argv.push("--setenv", k, v);
  argv.push("--", ...command);
  return argv;
}
