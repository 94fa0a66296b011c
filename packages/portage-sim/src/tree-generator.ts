import { createHash } from "node:crypto";
// The generator writes tens of thousands of small files: synchronous calls avoid a thread-pool hop per file.
import { mkdirSync as mkdir, writeFileSync as writeFile } from "node:fs";
import { join } from "node:path";
import { parseCpv } from "@binfleet/shared/portage";
import { type CatalogEntry, FLAG_POOL, LICENSES, catalog } from "./package-catalog.js";
import { Random } from "./random.js";

export const ARCHES = ["amd64", "x86", "arm64"] as const;
export const PYTHON_SLOTS = ["3.11", "3.12", "3.13"] as const;
const LIBRARY_CATEGORIES = /^(dev-libs|sys-libs|net-libs|media-libs|x11-libs|gui-libs|dev-cpp|sci-libs)\//;

/** One generated ebuild, with what the md5-cache and the ebuild file need. */
export interface GeneratedEbuild {
  readonly cpv: string;
  readonly slot: string;
  readonly iuse: string;
  readonly keywords: string;
  readonly license: string;
  readonly description: string;
  readonly homepage: string;
  readonly depend: string;
  readonly rdepend: string;
  readonly bdepend: string;
  readonly buildSeconds: number;
  readonly distfile: { readonly name: string; readonly size: number };
}

export interface GeneratedTree {
  readonly ebuilds: readonly GeneratedEbuild[];
  readonly entries: readonly CatalogEntry[];
  readonly snapshot: string;
  /** The snapshot's day, "2026-11-05": advisories in it are announced then. */
  readonly date: string;
}

function versionsFor(rng: Random, entry: CatalogEntry): { version: string; slot: string }[] {
  const out: { version: string; slot: string }[] = [];
  const lib = LIBRARY_CATEGORIES.test(entry.cp);
  if (entry.slots.length > 0) {
    for (const slot of entry.slots) {
      const n = rng.int(1, 3);
      for (let k = 0; k < n; k++) {
        const base = /^\d+(\.\d+)?$/.test(slot) ? slot : `${rng.int(1, 9)}`;
        out.push({ version: `${base}.${rng.int(0, 3) + k * 2}${rng.chance(0.2) ? "-r1" : ""}`, slot: slot });
      }
    }
    return out;
  }
  const major = rng.int(0, 12);
  let minor = rng.int(0, 30);
  let patch = rng.int(0, 9);
  const n = rng.int(4, 8);
  for (let k = 0; k < n; k++) {
    if (rng.chance(0.3)) {
      minor++;
      patch = 0;
    } else {
      patch++;
    }
    let v = `${major}.${minor}.${patch}`;
    if (k === n - 1 && rng.chance(0.15)) v = `${major}.${minor + 1}.0_rc${rng.int(1, 3)}`;
    else if (rng.chance(0.15)) v += `-r${rng.int(1, 3)}`;
    out.push({ version: v, slot: lib ? `0/${major}` : "0" });
  }
  return out;
}

/** A dependency on another catalog package, slotted the way real ebuilds write it. */
function depAtom(rng: Random, dep: CatalogEntry): string {
  if (dep.cp === "dev-lang/python") return "dev-lang/python:3.12";
  if (dep.slots.length > 0) return `${dep.cp}:${dep.slots[dep.slots.length - 1]}`;
  if (LIBRARY_CATEGORIES.test(dep.cp) && rng.chance(0.7)) return `${dep.cp}:=`;
  return dep.cp;
}

/** Generates the tree's packages: real names, realistic versions, IUSE, dependencies with depth. */
export function generateTree(seed: number): GeneratedTree {
  const rng = new Random(seed ^ 0x5eed7ee);
  const entries = catalog();
  const ebuilds: GeneratedEbuild[] = [];
  for (const entry of entries) {
    const python = entry.cp.startsWith("dev-python/");
    const lower = entries.filter((e) => e.tier < entry.tier || (e.tier === entry.tier && e.index < entry.index));
    const flags = rng.sample(FLAG_POOL, rng.int(0, python ? 2 : 6)).map((f) => (rng.chance(0.45) ? `+${f}` : f));
    // A package's dependencies stay the same across its versions, as they mostly do in Gentoo.
    const deps = lower.length === 0 ? [] : rng.sample(lower.filter((e) => e.tier >= Math.max(0, entry.tier - 2)), rng.int(entry.tier === 0 ? 0 : 1, Math.min(6, lower.length)));
    const rdepParts = deps.filter((d) => !d.cp.startsWith("sys-devel/") && d.cp !== "sys-kernel/linux-headers").map((d) => depAtom(rng, d));
    const conditional: string[] = [];
    for (const f of flags.map((x) => x.replace(/^\+/, ""))) {
      if (f === "ssl" && entry.cp !== "dev-libs/openssl" && entry.tier > 0) conditional.push("ssl? ( dev-libs/openssl:0= )");
      if (f === "zstd" && entry.cp !== "app-arch/zstd") conditional.push("zstd? ( app-arch/zstd:= )");
      if (f === "lua" && entry.tier > 1) conditional.push("lua? ( dev-lang/lua:5.4 )");
      if (f === "sqlite" && entry.tier > 1) conditional.push("sqlite? ( dev-db/sqlite )");
    }
    let iuse = flags.join(" ");
    if (python) {
      iuse = [...PYTHON_SLOTS.map((s) => `python_targets_python${s.replace(".", "_")}`), iuse].join(" ").trim();
      conditional.push(...PYTHON_SLOTS.map((s) => `python_targets_python${s.replace(".", "_")}? ( dev-lang/python:${s} )`));
    }
    const rdepend = [...rdepParts, ...conditional].join(" ");
    const bdepend = entry.tier === 0 ? "" : entry.tier === 1 ? "virtual/pkgconfig" : rng.pick(["virtual/pkgconfig", "dev-build/cmake virtual/pkgconfig", "dev-build/meson dev-build/ninja virtual/pkgconfig", "virtual/pkgconfig"]);
    const license = rng.pick(LICENSES);
    const minutes = entry.buildMinutes ?? rng.int(1, 5) / 2;
    const versions = versionsFor(rng, entry);
    versions.forEach(({ version, slot }, i) => {
      // Only the newest of an unslotted package may be ~arch: every slot keeps a stable version.
      const newest = i === versions.length - 1 && entry.slots.length === 0 && versions.length > 1;
      const kw = ARCHES.map((a) => (newest && rng.chance(0.25) ? `~${a}` : a)).join(" ");
      const pn = entry.cp.split("/")[1]!;
      ebuilds.push({
        cpv: `${entry.cp}-${version}`,
        slot,
        iuse,
        keywords: kw,
        license,
        description: `${pn} (generated by binfleet-sim)`,
        homepage: `https://packages.gentoo.org/packages/${entry.cp}`,
        depend: rdepend,
        rdepend,
        bdepend: entry.cp === "virtual/pkgconfig" || entry.cp === "dev-util/pkgconf" ? "" : bdepend,
        buildSeconds: Math.round(minutes * 60 * (0.9 + rng.next() * 0.2)),
        distfile: { name: `${pn}-${version.replace(/-r\d+$/, "")}.tar.xz`, size: Math.round(minutes * 1.2e6 * (0.5 + rng.next())) + 40_000 },
      });
    });
  }
  const day = 1 + (seed % 28);
  const dd = String(day).padStart(2, "0");
  return { ebuilds, entries, snapshot: `Wed, ${dd} Nov 2026 00:45:01 +0000`, date: `2026-11-${dd}` };
}

function ebuildText(e: GeneratedEbuild): string {
  return [
    "# Copyright 2026 binfleet authors",
    "# Distributed under the terms of the GNU General Public License v2",
    `# binfleet-sim: build-seconds=${e.buildSeconds}`,
    "",
    "EAPI=8",
    "",
    `DESCRIPTION="${e.description}"`,
    `HOMEPAGE="${e.homepage}"`,
    `SRC_URI="https://distfiles.example.invalid/${e.distfile.name}"`,
    "",
    `LICENSE="${e.license}"`,
    `SLOT="${e.slot}"`,
    `KEYWORDS="${e.keywords}"`,
    `IUSE="${e.iuse}"`,
    "",
    `RDEPEND="${e.rdepend}"`,
    `DEPEND="\${RDEPEND}"`,
    `BDEPEND="${e.bdepend}"`,
    "",
  ].join("\n");
}

/** md5-cache entry with the keys egencache writes, sorted, empty ones omitted, `_md5_` last. */
function cacheText(e: GeneratedEbuild, ebuild: string): string {
  const keys: Record<string, string> = {
    BDEPEND: e.bdepend,
    DEFINED_PHASES: "compile configure install prepare",
    DEPEND: e.depend,
    DESCRIPTION: e.description,
    EAPI: "8",
    HOMEPAGE: e.homepage,
    IUSE: e.iuse,
    KEYWORDS: e.keywords,
    LICENSE: e.license,
    RDEPEND: e.rdepend,
    SLOT: e.slot,
    SRC_URI: `https://distfiles.example.invalid/${e.distfile.name}`,
  };
  const lines = Object.keys(keys).sort().filter((k) => keys[k] !== "").map((k) => `${k}=${keys[k]}`);
  return `${lines.join("\n")}\n_md5_=${createHash("md5").update(ebuild).digest("hex")}\n`;
}

export interface ProfileDef {
  readonly path: string;
  readonly arch: string;
  readonly chost: string;
}

/** Writes the tree as a real ebuild repository: profiles, metadata, ebuilds, Manifests, md5-cache. */
export async function writeTree(dir: string, tree: GeneratedTree, profiles: readonly ProfileDef[]): Promise<void> {
  mkdir(join(dir, "profiles"), { recursive: true });
  mkdir(join(dir, "metadata"), { recursive: true });
  writeFile(join(dir, "profiles/repo_name"), "gentoo\n");
  writeFile(join(dir, "profiles/arch.list"), `${ARCHES.join("\n")}\n`);
  writeFile(join(dir, "profiles/profiles.desc"), profiles.map((p) => `${p.arch}\t${p.path}\tstable`).join("\n") + "\n");
  for (const p of profiles) {
    mkdir(join(dir, "profiles", p.path), { recursive: true });
    writeFile(
      join(dir, "profiles", p.path, "make.defaults"),
      [
        `ARCH="${p.arch}"`,
        `CHOST="${p.chost}"`,
        `ACCEPT_KEYWORDS="${p.arch}"`,
        'USE="ipv6 ssl pam readline unicode zstd"',
        'USE_EXPAND="PYTHON_TARGETS"',
        'USE_EXPAND_HIDDEN="ELIBC KERNEL USERLAND"',
        'PYTHON_TARGETS="python3_12"',
        'ELIBC="glibc"',
        'KERNEL="linux"',
        "",
      ].join("\n"),
    );
  }
  writeFile(join(dir, "metadata/layout.conf"), "masters =\nthin-manifests = true\nsign-manifests = false\nprofile-formats = portage-2\ncache-formats = md5-dict\n");
  writeFile(join(dir, "metadata/timestamp.chk"), `${tree.snapshot}\n`);
  const manifests = new Map<string, string[]>();
  const dirs = new Set<string>();
  for (const e of tree.ebuilds) {
    const c = parseCpv(e.cpv);
    const text = ebuildText(e);
    const pf = `${c.package}-${c.version.raw}`;
    if (!dirs.has(c.cp)) {
      mkdir(join(dir, c.cp), { recursive: true });
      mkdir(join(dir, "metadata/md5-cache", c.category), { recursive: true });
      dirs.add(c.cp);
    }
    writeFile(join(dir, c.cp, `${pf}.ebuild`), text);
    writeFile(join(dir, "metadata/md5-cache", c.category, pf), cacheText(e, text));
    const h = createHash("sha512").update(e.distfile.name).digest("hex");
    const b2 = createHash("blake2b512").update(e.distfile.name).digest("hex");
    const lines = manifests.get(c.cp) ?? [];
    lines.push(`DIST ${e.distfile.name} ${e.distfile.size} BLAKE2B ${b2} SHA512 ${h}`);
    manifests.set(c.cp, lines);
  }
  for (const [cp, lines] of manifests) writeFile(join(dir, cp, "Manifest"), `${[...new Set(lines)].sort().join("\n")}\n`);
}
