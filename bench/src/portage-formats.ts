// Benchmarks for the Portage format library (issue: foundation). Each figure has a naive
// baseline measured in the same run, so the ratio means something on any machine.
import { compareVersions, formatPackagesIndex, parseAtom, parsePackagesIndex, parseVersion, vercmp } from "@binfleet/shared";
import { type Figure, figure, opsPerSecond } from "./measure.js";

/** A literal port of Portage's list-building vercmp (BigInt lists, regex per call): the naive baseline. */
function naiveVercmp(a: string, b: string): number {
  const re = /^(\d+)((?:\.\d+)*)([a-z]?)((?:_(?:pre|p|beta|alpha|rc)\d*)*)(?:-r(\d+))?$/;
  const m1 = re.exec(a)!;
  const m2 = re.exec(b)!;
  const l1: bigint[] = [BigInt(m1[1]!)];
  const l2: bigint[] = [BigInt(m2[1]!)];
  const v1 = m1[2] ? m1[2].slice(1).split(".") : [];
  const v2 = m2[2] ? m2[2].slice(1).split(".") : [];
  for (let i = 0; i < Math.max(v1.length, v2.length); i++) {
    const x = v1[i];
    const y = v2[i];
    if (x === undefined) (l1.push(-1n), l2.push(BigInt(y!)));
    else if (y === undefined) (l1.push(BigInt(x)), l2.push(-1n));
    else if (x[0] !== "0" && y[0] !== "0") (l1.push(BigInt(x)), l2.push(BigInt(y)));
    else {
      const n = Math.max(x.length, y.length);
      l1.push(BigInt(x.padEnd(n, "0")));
      l2.push(BigInt(y.padEnd(n, "0")));
    }
  }
  if (m1[3]) l1.push(BigInt(m1[3].charCodeAt(0)));
  if (m2[3]) l2.push(BigInt(m2[3].charCodeAt(0)));
  for (let i = 0; i < Math.max(l1.length, l2.length); i++) {
    if (i >= l1.length) return -1;
    if (i >= l2.length) return 1;
    if (l1[i] !== l2[i]) return l1[i]! > l2[i]! ? 1 : -1;
  }
  const order: Record<string, number> = { alpha: -4, beta: -3, pre: -2, rc: -1, p: 0 };
  const s1 = (m1[4] ?? "").split("_").slice(1);
  const s2 = (m2[4] ?? "").split("_").slice(1);
  for (let i = 0; i < Math.max(s1.length, s2.length); i++) {
    const p1 = s1[i] === undefined ? ["p", "-1"] : /^([a-z]+)(\d*)$/.exec(s1[i]!)!.slice(1);
    const p2 = s2[i] === undefined ? ["p", "-1"] : /^([a-z]+)(\d*)$/.exec(s2[i]!)!.slice(1);
    if (p1[0] !== p2[0]) return order[p1[0]!]! > order[p2[0]!]! ? 1 : -1;
    const r1 = BigInt(p1[1] || "0");
    const r2 = BigInt(p2[1] || "0");
    if (r1 !== r2) return r1 > r2 ? 1 : -1;
  }
  const r1 = BigInt(m1[5] ?? "0");
  const r2 = BigInt(m2[5] ?? "0");
  return r1 === r2 ? 0 : r1 > r2 ? 1 : -1;
}

const VERSION_PAIRS: [string, string][] = [
  ["1.0", "1.0.1"],
  ["2.38.1-r2", "2.38.1-r10"],
  ["1.2.3_rc1", "1.2.3"],
  ["20230101", "20221231_p1"],
  ["5.15.12_p20240101-r3", "5.15.12_p20240101-r3"],
  ["1.01", "1.1"],
  ["3.12.4_beta2", "3.12.4_alpha9"],
  ["0.9.8h", "0.9.8g"],
];

const ATOMS = [
  "dev-libs/openssl",
  ">=dev-lang/python-3.11.4-r1:3.11",
  "=sys-devel/gcc-13.2*",
  "dev-libs/libxml2:2=[icu,python_targets_python3_12(-)?]",
  "!<sys-apps/portage-3.0.50",
  "~app-editors/vim-9.1.0",
  "x11-libs/gtk+:3[introspection?,-wayland]",
  "net-misc/openssh::gentoo",
];

/** A Packages index shaped like a real binhost's, with `n` entries. */
export function generatedIndex(n: number): string {
  const header = [
    "ACCEPT_KEYWORDS: amd64",
    "ARCH: amd64",
    "CBUILD: x86_64-pc-linux-gnu",
    "CHOST: x86_64-pc-linux-gnu",
    "FEATURES: binpkg-multi-instance buildpkg compress-index",
    `PACKAGES: ${n}`,
    "PROFILE: default/linux/amd64/23.0",
    "TIMESTAMP: 1795625191",
    "USE: amd64 bar python_targets_python3_12",
    "VERSION: 0",
  ].join("\n");
  const stanzas: string[] = [header];
  for (let i = 0; i < n; i++) {
    const cat = `cat-${i % 150}`;
    const pn = `pkg${Math.floor(i / 3)}`;
    const pv = `${pn}-${1 + (i % 3)}.${i % 17}.${i % 5}`;
    stanzas.push(
      [
        `BUILD_ID: ${1 + (i % 2)}`,
        "BUILD_TIME: 1795625185",
        `CPV: ${cat}/${pv}`,
        "DEFINED_PHASES: compile configure install prepare",
        "EAPI: 8",
        "IUSE: doc examples +ssl static-libs test",
        "KEYWORDS: amd64 ~arm64 x86",
        "LICENSE: GPL-2+",
        "MD5: b7b704fc67f68c0d6ef35664a380ee87",
        `PATH: ${cat}/${pn}/${pv}-${1 + (i % 2)}.gpkg.tar`,
        "RDEPEND: dev-libs/openssl:0/3= >=sys-libs/zlib-1.2.13",
        "SHA1: 51a8d5d9f3b0ecb4c5dd59ba9e3a51a2e0c5c3d1",
        `SIZE: ${10_000 + i}`,
        "USE: amd64 ssl",
        "MTIME: 1795625186",
        "REPO: gentoo",
      ].join("\n"),
    );
  }
  return `${stanzas.join("\n\n")}\n\n`;
}

export function portageFormatFigures(): Figure[] {
  const figures: Figure[] = [];
  const vercmpAll = (cmp: (a: string, b: string) => number) => () => {
    let s = 0;
    for (const [a, b] of VERSION_PAIRS) s += cmp(a, b);
    return s;
  };
  const naive = opsPerSecond(vercmpAll(naiveVercmp), VERSION_PAIRS.length);
  figures.push(
    figure("vercmp (repeated versions)", opsPerSecond(vercmpAll(vercmp), VERSION_PAIRS.length), "comparisons/s", naive, "parsed versions cached, as when planning a fleet; baseline: literal port of Portage's list-building vercmp (BigInt)"),
    figure("vercmp (cold: parse both every time)", opsPerSecond(vercmpAll((a, b) => compareVersions(parseVersion(a), parseVersion(b))), VERSION_PAIRS.length), "comparisons/s", naive, "same baseline"),
  );

  const simpleRe = /^(!!?)?([<>=~]*)([^/\s]+)\/([^\s:[]+)(?::([^\s:[]*))?(?:::(\S+?))?(\[.*\])?$/;
  figures.push(
    figure(
      "atom parse",
      opsPerSecond(() => ATOMS.map(parseAtom).length, ATOMS.length),
      "atoms/s",
      opsPerSecond(() => ATOMS.map((a) => simpleRe.exec(a)).length, ATOMS.length),
      "baseline: one non-validating regex split (the least any parser must do)",
    ),
  );

  const text = generatedIndex(30_000);
  const mib = Buffer.byteLength(text) / 1024 ** 2;
  figures.push(
    figure(
      "Packages parse (30,000 entries)",
      opsPerSecond(() => parsePackagesIndex(text).packages.length, mib, 3, 300),
      "MiB/s",
      opsPerSecond(() => text.split("\n").length, mib, 3, 300),
      `index of ${mib.toFixed(1)} MiB; baseline: splitting it into lines`,
    ),
  );
  const parsed = parsePackagesIndex(text);
  figures.push(
    figure(
      "Packages write (30,000 entries)",
      opsPerSecond(() => formatPackagesIndex(parsed).length, mib, 3, 300),
      "MiB/s",
      opsPerSecond(() => text.split("\n").join("\n").length, mib, 3, 300),
      "baseline: joining the same lines back",
    ),
  );
  return figures;
}
