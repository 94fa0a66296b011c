// Inputs for the Portage format figures and the agreement test, generated from a seed so
// every run (and both sides of a comparison) reads the same bytes. Shapes follow the real
// indexes in ../shared/fixtures: 1-8 atoms per dependency variable, PROVIDES/REQUIRES,
// long USE/IUSE/KEYWORDS lines, sub-slots, build ids, fields in Portage's order.
import { rng } from "./measure.js";

type Rand = () => number;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const CATEGORIES = [
  "app-arch", "app-crypt", "app-editors", "app-misc", "app-text", "dev-cpp", "dev-db", "dev-lang", "dev-libs",
  "dev-perl", "dev-python", "dev-util", "dev-vcs", "gnome-base", "kde-frameworks", "media-gfx", "media-libs",
  "media-sound", "media-video", "net-dns", "net-libs", "net-misc", "sys-apps", "sys-devel", "sys-fs",
  "sys-kernel", "sys-libs", "sys-process", "virtual", "www-client", "x11-libs", "x11-misc",
];
const SYLLABLES = ["lib", "xml", "ssl", "z", "gtk", "qt", "py", "net", "core", "utils", "io", "fs", "crypt", "font", "config", "png", "c", "boost", "glib", "dbus", "at", "spi", "curl", "http", "mime", "x"];
const FLAGS = [
  "ssl", "ipv6", "doc", "test", "static-libs", "debug", "nls", "zstd", "lzma", "python", "X", "wayland", "gtk",
  "qt5", "introspection", "icu", "threads", "unicode", "readline", "systemd", "udev", "seccomp", "pam", "acl",
  "abi_x86_32", "abi_x86_64", "python_targets_python3_12", "python_targets_python3_13", "elibc_glibc", "kernel_linux",
];
const ARCHES = ["alpha", "amd64", "arm", "arm64", "hppa", "ia64", "loong", "m68k", "mips", "ppc", "ppc64", "riscv", "s390", "sparc", "x86"];
const LICENSES = ["GPL-2", "GPL-2+", "GPL-3", "LGPL-2.1", "LGPL-2.1+", "MIT", "BSD", "Boost-1.0", "Apache-2.0", "ZLIB", "|| ( Artistic GPL-1+ )"];
const PHASES = ["compile", "configure", "install", "postinst", "preinst", "prepare", "setup", "test", "unpack"];
const SUFFIXES = ["alpha", "beta", "pre", "rc", "p"];

/** A package name as found in the tree: syllables, sometimes hyphens, digits or `+`. */
function packageName(r: Rand): string {
  let name = pick(r, SYLLABLES) + pick(r, SYLLABLES);
  if (r() < 0.3) name += `-${pick(r, SYLLABLES)}`;
  if (r() < 0.15) name += String(int(r, 1, 9));
  if (r() < 0.1) name += r() < 0.5 ? "+" : `-${pick(r, SYLLABLES)}${int(r, 1, 3)}x`;
  return r() < 0.05 ? name.charAt(0).toUpperCase() + name.slice(1) : name;
}

/** A version as the tree writes them: 1-4 components, sometimes dates, letters, suffix chains, revisions. */
function version(r: Rand): string {
  let v = r() < 0.08 ? String(int(r, 2010, 2026) * 10_000 + int(r, 101, 1231)) : String(int(r, 0, 30));
  for (let i = int(r, 0, 3); i > 0; i--) v += `.${r() < 0.08 ? `0${int(r, 0, 9)}` : int(r, 0, 120)}`;
  if (r() < 0.05) v += "abcdefghz".charAt(int(r, 0, 8));
  for (let i = r() < 0.15 ? (r() < 0.1 ? 2 : 1) : 0; i > 0; i--) {
    v += `_${pick(r, SUFFIXES)}${r() < 0.2 ? "" : r() < 0.2 ? int(r, 20_200_101, 20_261_231) : int(r, 0, 12)}`;
  }
  if (r() < 0.3) v += `-r${int(r, 1, 20)}`;
  return v;
}

/** A second version close to `v` (what comparisons within one package see), or an unrelated one. */
function neighbour(r: Rand, v: string): string {
  switch (int(r, 0, 5)) {
    case 0:
      return v.includes("-r") ? v.replace(/-r\d+$/, r() < 0.5 ? "" : `-r${int(r, 0, 30)}`) : `${v}-r${int(r, 0, 3)}`;
    case 1:
      return v.replace(/\d+(?=\D*$)/, (d) => String(Number(d) + int(r, -1, 2)).replace("-", ""));
    case 2:
      return v.replace(/(-r\d+)?$/, (rev) => `_${pick(r, SUFFIXES)}${int(r, 0, 3)}${rev}`);
    case 3:
      return `${v.replace(/[a-z_-].*$/, "")}.${int(r, 0, 9)}`;
    case 4:
      return v;
    default:
      return version(r);
  }
}

/** `n` version pairs, most of them close (so comparisons go past the first component). */
export function versionPairs(n: number, seed = 3): [string, string][] {
  const r = rng(seed);
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const a = version(r);
    out.push(r() < 0.5 ? [a, neighbour(r, a)] : [neighbour(r, a), a]);
  }
  return out;
}

function useDeps(r: Rand): string {
  const flags = new Set<string>();
  for (let k = int(r, 1, 4); k > 0; k--) flags.add(pick(r, FLAGS));
  const dep = (f: string): string => {
    const d = r() < 0.25 ? pick(r, ["(+)", "(-)"]) : "";
    switch (int(r, 0, 7)) {
      case 0:
        return `-${f}${d}`;
      case 1:
        return `${f}${d}?`;
      case 2:
        return `!${f}${d}?`;
      case 3:
        return `${f}${d}=`;
      default:
        return `${f}${d}`;
    }
  };
  return `[${[...flags].map(dep).join(",")}]`;
}

/** One dependency atom in the forms the tree uses (operators, slots, sub-slot operators, USE deps, blockers). */
function atom(r: Rand, cps: readonly string[] = []): string {
  const cp = cps.length > 0 && r() < 0.9 ? pick(r, cps) : `${pick(r, CATEGORIES)}/${packageName(r)}`;
  let s = cp;
  const x = r();
  if (x < 0.3) s = `>=${cp}-${version(r)}`;
  else if (x < 0.36) s = `${pick(r, ["<", "<=", ">", "~"])}${cp}-${version(r).replace(/-r\d+$/, "")}`;
  else if (x < 0.4) s = `=${cp}-${version(r)}${r() < 0.4 ? "*" : ""}`;
  const y = r();
  if (y < 0.15) s += `:${pick(r, ["0", "2", "3", "5", "3.12", "1.0"])}`;
  else if (y < 0.3) s += `:${pick(r, ["0", "0/3", "2", "0/1.2"])}=`;
  else if (y < 0.38) s += pick(r, [":=", ":*"]);
  if (r() < 0.02) s += "::gentoo";
  if (r() < 0.3) s += useDeps(r);
  if (r() < 0.06) s = `${r() < 0.8 ? "!" : "!!"}${s}`;
  return s;
}

/** `n` atoms from a tree of `n / 4` packages (so some repeat, as in real dependency lists). */
export function atoms(n: number, seed = 5): string[] {
  const r = rng(seed);
  const cps = Array.from({ length: Math.max(1, n >> 2) }, () => `${pick(r, CATEGORIES)}/${packageName(r)}`);
  return Array.from({ length: n }, () => atom(r, cps));
}

const words = (r: Rand, from: readonly string[], lo: number, hi: number): string => {
  const out = new Set<string>();
  for (let k = int(r, lo, hi); k > 0; k--) out.add(pick(r, from));
  return [...out].join(" ");
};

function depString(r: Rand, cps: readonly string[]): string {
  const parts: string[] = [];
  for (let k = int(r, 1, 8); k > 0; k--) {
    parts.push(r() < 0.06 ? `|| ( ${atom(r, cps)} ${atom(r, cps)} )` : atom(r, cps));
  }
  return parts.join(" ");
}

const hex = (r: Rand, n: number): string => Array.from({ length: n }, () => "0123456789abcdef".charAt(int(r, 0, 15))).join("");

function libs(r: Rand, lo: number, hi: number): string {
  const out = new Set<string>();
  for (let k = int(r, lo, hi); k > 0; k--) out.add(`lib${pick(r, SYLLABLES)}${pick(r, SYLLABLES)}.so.${int(r, 0, 12)}`);
  return `x86_64: ${[...out].join(" ")}`;
}

/** A `Packages` index of `n` entries shaped like a real binhost's (about 1 KiB per entry). */
export function packagesIndex(n: number, seed = 7): string {
  const r = rng(seed);
  const cps = Array.from({ length: Math.max(1, n >> 1) }, () => `${pick(r, CATEGORIES)}/${packageName(r)}`);
  const lines = [
    "ACCEPT_KEYWORDS: amd64",
    "ACCEPT_LICENSE: @FREE",
    "ARCH: amd64",
    "CBUILD: x86_64-pc-linux-gnu",
    "CHOST: x86_64-pc-linux-gnu",
    "FEATURES: assume-digests binpkg-docompress binpkg-dostrip binpkg-logs binpkg-multi-instance buildpkg compress-index",
    `PACKAGES: ${n}`,
    "PROFILE: default/linux/amd64/23.0/systemd",
    "TIMESTAMP: 1795625191",
    `USE: ${FLAGS.join(" ")} ${ARCHES.map((a) => `arch_${a}`).join(" ")}`,
    "VERSION: 0",
    "",
  ];
  const keywords = (): string => ARCHES.filter(() => r() < 0.7).map((a) => (r() < 0.3 ? `~${a}` : a)).join(" ");
  for (let i = 0; i < n; i++) {
    const cp = cps[i >> 1]!;
    const pv = `${cp.slice(cp.indexOf("/") + 1)}-${version(r)}`;
    const buildId = int(r, 1, 3);
    const time = 1_795_600_000 + int(r, 0, 99_999);
    const e: string[] = [];
    if (r() < 0.7) e.push(`BDEPEND: ${depString(r, cps)}`);
    e.push(`BUILD_ID: ${buildId}`, `BUILD_TIME: ${time}`, `CPV: ${cp.slice(0, cp.indexOf("/"))}/${pv}`, `DEFINED_PHASES: ${words(r, PHASES, 1, 6)}`);
    if (r() < 0.6) e.push(`DEPEND: ${depString(r, cps)}`);
    e.push(`EAPI: ${pick(r, ["7", "8", "8"])}`);
    if (r() < 0.85) e.push(`IUSE: ${words(r, FLAGS, 1, 14).replace(/(^| )(ssl|doc) /, "$1+$2 ")}`);
    e.push(`KEYWORDS: ${keywords()}`, `LICENSE: ${pick(r, LICENSES)}`, `MD5: ${hex(r, 32)}`);
    e.push(`PATH: ${cp}/${pv}-${buildId}.${r() < 0.7 ? "gpkg.tar" : "xpak"}`);
    if (r() < 0.55) e.push(`PROVIDES: ${libs(r, 1, r() < 0.05 ? 60 : 3)}`);
    if (r() < 0.75) e.push(`RDEPEND: ${depString(r, cps)}`);
    if (r() < 0.7) e.push(`REQUIRES: ${libs(r, 1, 8)}`);
    if (r() < 0.3) e.push(`RESTRICT: ${pick(r, ["test", "strip", "mirror test", "binchecks"])}`);
    e.push(`SHA1: ${hex(r, 40)}`, `SIZE: ${int(r, 4_000, 90_000_000)}`);
    if (r() < 0.4) e.push(`SLOT: ${pick(r, ["0/1", "0/3", "2", "0/5.15.48", "3.12"])}`);
    e.push(`USE: ${words(r, FLAGS, 2, 16)} amd64`, `MTIME: ${time + 1}`, "REPO: gentoo", "");
    lines.push(...e);
  }
  return `${lines.join("\n")}\n`;
}

const VERSION_EDGES = [
  "0", "00", "01", "1", "1.0", "1.00", "1.01", "1.001", "1.0010", "1.1", "1.10", "1.010", "01.0", "001.2",
  "1.0-r0", "1.0-r00", "1.0-r01", "1.0-r1", "1.0-r10", "1.0_p", "1.0_p0", "1.0_p00", "1.0_p1", "1.0_p01",
  "1_rc1_p2", "1_alpha_beta_pre_rc_p", "1_alpha", "1_alpha0", "1_beta1_alpha2", "1.0_rc1-r1", "2.0_pre20240101_p3-r2",
  "999999999999999999999999999999", "999999999999999999999999999998", "1.1999999999999999999999999", "1.2",
  "1a", "1b", "1z", "1.0a", "1.0b_p1", "12.2.5", "12.2b", "5.15.12_p20240101-r3", "20230101", "20221231_p1",
  // Refused by both.
  "", "a", "1.", ".1", "1..2", "1-r", "1_rc-1", "1_foo", "1ab", "1.0-r1-r2", "1A", "v1", "1_p1_", " 1", "1.0 ", "-1", "1-1", "1.0_P1", "1.0-R1",
];

/**
 * Version pairs for checking vercmp against Portage: edge cases (leading zeros, suffix
 * chains, -r0, long numbers, letters, invalid spellings) against each other and `n`
 * generated pairs, some of them mangled. Pairs of one invalid version with itself are
 * left out: Portage answers 0 for any a == b before it looks at a, binfleet refuses it.
 * ASCII only: Portage's version pattern (unlike its atom patterns) also takes other
 * scripts' digits and a trailing newline, which binfleet refuses.
 */
export function versionCases(n: number, seed = 11): [string, string][] {
  const r = rng(seed);
  const out: [string, string][] = [];
  for (const a of VERSION_EDGES) for (const b of VERSION_EDGES) if (a !== b) out.push([a, b]);
  for (const [a, b] of versionPairs(n, seed)) out.push(r() < 0.1 ? [mangle(r, a), b] : [a, b]);
  return out;
}

const ATOM_EDGES = [
  "sys-apps/portage", ">=sys-apps/portage-2.1", "=sys-apps/portage-2.1-r1:0[doc,a=,!b=,c?,!d?,-e]", "=sys-apps/portage-2.1*",
  "~sys-apps/portage-2.1", "!!>=sys-apps/portage-2.1", "dev-libs/libdemo:0/1=", "dev-libs/libdemo:2=", "dev-libs/libdemo:=",
  "dev-libs/libdemo:*", "dev-libs/libdemo:2/2.0", "dev-libs/libdemo::gentoo", "dev-libs/libdemo:0::gentoo[ssl(+),!static-libs(-)?]",
  "=app-misc/hello-1.1-1", "=app-misc/hello-1.1-r2-10", "x11-libs/gtk+:3", "dev-libs/foo-1bar", "=a/foo-1-2-3", "<a/foo-1a-1.0",
  "", "sys-apps", "sys-apps/portage-2.1", "=sys-apps/portage", ">=sys-apps/portage-2.1*", "sys-apps/portage:", "sys-apps/portage::",
  "sys-apps/portage:0*", "sys-apps/portage::repo:0", "sys-apps/portage[]", "sys-apps/portage[doc,]", "sys-apps/portage[-doc?]",
  "sys-apps/portage[!doc]", "sys-apps/portage[doc(+),doc(-)]", "sys-apps/portage[doc,doc(+)]", "!!!sys-apps/portage",
  "=sys-apps/portage-2.1-01", "=sys-apps/portage-2.1-1*", "+cat/pkg", "cat/+pkg", "cat/pkg:+0", "cat/pkg:/1", "cat/pkg:0=/1",
];
const ATOM_NOISE = ["-", "_", ".", "+", "/", ":", "::", "=", "*", "[", "]", "(+)", "(-)", "?", "!", ",", "0", "1", "a", "r", "-r1", "_p", "-01", "-1", " "];

/** Atoms for checking parseAtom against Portage: edge cases, `n` generated atoms, and mangled copies of them. */
export function atomCases(n: number, seed = 13): string[] {
  const r = rng(seed);
  const generated = atoms(n, seed);
  return [...ATOM_EDGES, ...generated, ...generated.map((a) => mangle(r, a))];
}

/** Inserts, deletes or replaces one to three pieces at random places. */
function mangle(r: Rand, s: string): string {
  for (let k = int(r, 1, 3); k > 0; k--) {
    const at = int(r, 0, s.length);
    const x = r();
    s = x < 0.4 ? s.slice(0, at) + pick(r, ATOM_NOISE) + s.slice(at) : x < 0.7 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + pick(r, ATOM_NOISE) + s.slice(at + 1);
  }
  return s;
}
