import { isAbsolute, join, relative } from "node:path";
import { execa } from "execa";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";

export type PortageTool = "emerge" | "portageq" | "gpkgSign" | "emaint";

/** A builder root: its directory on the host, and the host directories bound into it. */
export interface BuilderRootLayout {
  readonly root: string;
  /** `host` is seen as `inside` by the build (absolute, inside the root). */
  readonly binds: readonly { readonly host: string; readonly inside: string; readonly readOnly: boolean }[];
}

export interface RootCommandOptions {
  /** Environment on top of the configured one (USE, FEATURES, signing). */
  readonly env?: Readonly<Record<string, string>>;
  /** Output as it comes (stdout and stderr interleaved). */
  readonly onOutput?: (text: string) => void;
}

export interface RootCommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  /** stdout and stderr, interleaved as printed. */
  readonly all: string;
}

/** The PATH a build root's programs run with (the host's PATH names host directories). */
const ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A platform's builder root as its builds see it. */
export const layoutOf = (p: Pick<PlatformConfig, "root" | "binds">): BuilderRootLayout => ({ root: p.root, binds: p.binds });

/**
 * Where a path as the build sees it lies on the host: in a directory bound into the root, or in
 * the root itself.
 */
export function hostPath(layout: BuilderRootLayout, inside: string): string {
  const abs = isAbsolute(inside) ? inside : `/${inside}`;
  for (const b of layout.binds) {
    const rel = relative(b.inside, abs);
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return join(b.host, rel);
  }
  return join(layout.root, abs);
}

/** A platform's PKGDIR on the host: what the binhost serves and builds write. */
export const pkgdirOf = (p: Pick<PlatformConfig, "root" | "binds" | "pkgdir">): string => hostPath(layoutOf(p), p.pkgdir);

/** A platform's DISTDIR on the host: the distfiles mirror nodes fetch from. */
export const distdirOf = (p: Pick<PlatformConfig, "root" | "binds" | "distdir">): string => hostPath(layoutOf(p), p.distdir);

/** A repository of a builder root on the host (its standard location, /var/db/repos/<name>, as the root sees it). */
export const repoDirOf = (p: Pick<PlatformConfig, "root" | "binds">, repo: string): string => hostPath(layoutOf(p), `/var/db/repos/${repo}`);

/**
 * The argv that runs a Portage tool inside a builder root.
 *
 * With `isolation: "bwrap"` (production) the root is the build's `/`: a stage3 of the platform,
 * in its own mount, PID, IPC and UTS namespaces, with a fresh /dev and /proc and the configured
 * directories bound in. `emerge --buildpkg` there merges into the root's own vdb with the root's
 * toolchain, and nothing of the binhost's live system is visible to write to. With
 * `isolation: "none"` the tool is run as configured, its root named by `rootVariable`: portage-sim
 * resolves every path inside that root itself (tests and the demo).
 */
export function rootArgv(portage: CoordinatorConfig["portage"], layout: BuilderRootLayout, tool: PortageTool, args: readonly string[]): { file: string; args: string[]; env: Record<string, string> } {
  const [file, ...prefix] = portage[tool];
  if (portage.isolation === "none") return { file: file!, args: [...prefix, ...args], env: { ...portage.env, [portage.rootVariable]: layout.root } };
  const [bwrap, ...bwrapPrefix] = portage.bwrap;
  const sandbox = [
    ...bwrapPrefix,
    "--bind",
    layout.root,
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    ...layout.binds.flatMap((b) => [b.readOnly ? "--ro-bind" : "--bind", b.host, b.inside]),
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-uts",
    "--die-with-parent",
    "--chdir",
    "/",
    "--",
  ];
  return { file: bwrap!, args: [...sandbox, file!, ...prefix, ...args], env: { PATH: ROOT_PATH, ...portage.env } };
}

/** Runs a Portage tool in a builder root (never throws for a non-zero exit). */
export function runInRoot(portage: CoordinatorConfig["portage"], layout: BuilderRootLayout, tool: PortageTool, args: readonly string[], o: RootCommandOptions = {}): Promise<RootCommandResult> {
  const a = rootArgv(portage, layout, tool, args);
  const child = execa(a.file, a.args, {
    env: { NOCOLOR: "true", LC_ALL: "C.UTF-8", ...a.env, ...o.env },
    // Inside the root, exactly this environment: the coordinator's own (its PATH, its HOME) is not the build's.
    extendEnv: portage.isolation === "none",
    reject: false,
    all: true,
  });
  if (o.onOutput !== undefined) child.all?.on("data", (chunk: Buffer) => o.onOutput!(chunk.toString("utf8")));
  return child.then((r) => ({ exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ""), all: String(r.all ?? "") }));
}
