import { createHash } from "node:crypto";

/**
 * The settings that decide whether a binary package built on one machine can
 * be installed on another. Why each counts:
 * - ARCH, CHOST: the instruction set and toolchain triple; a binary for another triple does not run.
 * - CFLAGS, CXXFLAGS: -march/-mtune and ABI-affecting flags decide which CPUs can run the code
 *   (Portage itself does not check them; binfleet must, or a node gets SIGILL).
 * - LDFLAGS: e.g. --hash-style or -z flags change the produced ELF files.
 * - profile: it sets default USE, use.force/mask and package.provided; the same package with
 *   the same USE can still differ between profiles (e.g. multilib, split-usr, hardened).
 * - ACCEPT_KEYWORDS: stable-only and ~arch nodes resolve different versions of dependencies.
 * - binpkg format: a node with BINPKG_FORMAT=xpak fetches `.tbz2`/`.xpak`, gpkg nodes `.gpkg.tar`.
 *
 * Not in the key, on purpose:
 * - the repository snapshot: it changes with every sync while the binhost stays the same;
 *   {@link isSameSnapshot} is checked per plan instead (a binary is only usable when node and
 *   builder saw the same ebuild).
 * - USE: binaries are per variant (cpv + USE) within a platform, and Portage matches USE itself
 *   (--binpkg-respect-use).
 */
export interface PlatformSettings {
  readonly arch: string;
  readonly chost: string;
  readonly cflags: string;
  readonly cxxflags: string;
  readonly ldflags: string;
  /** make.profile target; a full path is reduced to the part after `profiles/`. */
  readonly profile: string;
  readonly acceptKeywords: string;
  /** BINPKG_FORMAT; Portage's default is "gpkg". */
  readonly binpkgFormat: string;
}

export interface PlatformFingerprint {
  /** Stable identifier, safe in NATS subjects, file names and URLs: `<arch>-<12 hex>`. */
  readonly key: string;
  /** For humans: `amd64 x86_64-pc-linux-gnu default/linux/amd64/23.0 -O2 -pipe`. */
  readonly name: string;
  /** The normalised settings the key was computed from. */
  readonly settings: PlatformSettings;
  /** False when CFLAGS use -march=native/-mtune=native: such binaries only suit identical CPUs. */
  readonly portable: boolean;
}

const words = (s: string): string => s.trim().split(/\s+/).filter((w) => w !== "").join(" ");

/** Normalises settings so that cosmetic differences (spacing, keyword order, profile path) do not split platforms. */
export function normalizePlatform(s: PlatformSettings): PlatformSettings {
  const profile = s.profile.trim().replace(/^.*\/profiles\//, "").replace(/\/+$/, "");
  return {
    arch: s.arch.trim(),
    chost: s.chost.trim(),
    cflags: words(s.cflags),
    cxxflags: words(s.cxxflags),
    ldflags: words(s.ldflags),
    profile,
    acceptKeywords: [...new Set(words(s.acceptKeywords).split(" "))].filter((w) => w !== "").sort().join(" "),
    binpkgFormat: s.binpkgFormat.trim() || "gpkg",
  };
}

/** Computes the platform fingerprint. Equal keys mean binaries built for one install on the other. */
export function platformFingerprint(settings: PlatformSettings): PlatformFingerprint {
  const n = normalizePlatform(settings);
  // Fixed field order: the key must not depend on object key order.
  const canonical = [n.arch, n.chost, n.cflags, n.cxxflags, n.ldflags, n.profile, n.acceptKeywords, n.binpkgFormat].join("\n");
  const hash = createHash("sha256").update(canonical).digest("hex").slice(0, 12);
  const arch = n.arch.replace(/[^A-Za-z0-9_-]/g, "_") || "unknown";
  return {
    key: `${arch}-${hash}`,
    name: [n.arch, n.chost, n.profile, n.cflags].filter((x) => x !== "").join(" "),
    settings: n,
    portable: !/(^|\s)-m(arch|tune|cpu)=native(\s|$)/.test(`${n.cflags} ${n.cxxflags}`),
  };
}

/** The Portage variables a platform is read from (`portageq envvar …`). */
export const PLATFORM_VARS = ["ARCH", "CHOST", "CFLAGS", "CXXFLAGS", "LDFLAGS", "ACCEPT_KEYWORDS", "BINPKG_FORMAT"] as const;

/** `portageq envvar NAME…` output (one value per line, in the order asked) → values; unset ones are "". */
export function parsePortageqEnvvar(names: readonly string[], stdout: string): Record<string, string> {
  const values = stdout.split("\n");
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? ""]));
}

/**
 * A root's platform as Portage there sees it: the PLATFORM_VARS values and the target of its
 * make.profile link. Agents compute their key so; the coordinator checks a builder root it made.
 */
export function platformFromPortage(vars: Readonly<Record<string, string>>, profileLink: string): PlatformFingerprint {
  return platformFingerprint({
    arch: vars["ARCH"] ?? "",
    chost: vars["CHOST"] ?? "",
    cflags: vars["CFLAGS"] ?? "",
    cxxflags: vars["CXXFLAGS"] ?? "",
    ldflags: vars["LDFLAGS"] ?? "",
    profile: profileLink,
    acceptKeywords: vars["ACCEPT_KEYWORDS"] ?? "",
    binpkgFormat: vars["BINPKG_FORMAT"] ?? "",
  });
}

/** Snapshot ids compare as opaque strings (timestamp.chk contents or a git commit), trimmed. */
export function isSameSnapshot(a: string, b: string): boolean {
  return a.trim() !== "" && a.trim() === b.trim();
}
