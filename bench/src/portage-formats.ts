// The Portage format figures (issue #21): binfleet's parsers against real Portage on the
// same input files in the same run. Rounds alternate between the two (Python answers one
// timed round per request), so both sides see the same load on a shared machine; each
// figure is the median of the rounds. Without Portage (no tarball, or python3 cannot import
// it) each figure falls back to a naive baseline measured here, and its note says "no Portage".
//
// Inputs are generated (see portage-inputs.ts); $BINFLEET_BENCH_PACKAGES, $BINFLEET_BENCH_ATOMS
// (one atom a line) and $BINFLEET_BENCH_VERSIONS ("A<TAB>B" lines) name other files to use.
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { formatPackagesIndex, parseAtom, parsePackagesIndex, vercmp, viewPackagesIndex } from "@binfleet/shared";
import { type Figure, type FigureGroup, figure, median, opsPerSecond } from "./measure.js";
import type { Want } from "./selection.js";
import { atoms, packagesIndex, versionPairs } from "./portage-inputs.js";
import { portageEnv, portageMissing, portageScript, realPortage } from "./real-portage.js";

const ROUNDS = 7;
/** A binfleet round repeats its pass until it has run this long, so that short passes still time well. */
const MIN_ROUND_MS = 150;

interface Inputs {
  readonly packages: string;
  readonly atoms: string;
  readonly versions: string;
  readonly describe: string;
}

/** One timed round on the Portage side, in milliseconds. */
type PortageRound = (kind: "packages" | "atoms" | "vercmp", path: string) => Promise<number>;

async function writeInputs(dir: string): Promise<Inputs> {
  const env = process.env;
  const packages = env["BINFLEET_BENCH_PACKAGES"] ?? join(dir, "Packages");
  const atomFile = env["BINFLEET_BENCH_ATOMS"] ?? join(dir, "atoms");
  const versionFile = env["BINFLEET_BENCH_VERSIONS"] ?? join(dir, "versions");
  if (env["BINFLEET_BENCH_PACKAGES"] === undefined) await writeFile(packages, packagesIndex(30_000));
  if (env["BINFLEET_BENCH_ATOMS"] === undefined) await writeFile(atomFile, `${atoms(20_000).join("\n")}\n`);
  if (env["BINFLEET_BENCH_VERSIONS"] === undefined) await writeFile(versionFile, `${versionPairs(20_000).map((p) => p.join("\t")).join("\n")}\n`);
  const given = ["PACKAGES", "ATOMS", "VERSIONS"].filter((k) => env[`BINFLEET_BENCH_${k}`] !== undefined);
  return { packages, atoms: atomFile, versions: versionFile, describe: given.length === 0 ? "generated inputs" : `inputs from $BINFLEET_BENCH_${given.join(", $BINFLEET_BENCH_")}` };
}

/** Starts bench/portage-formats.py as a server, or says why Portage cannot be used. */
async function startPortage(): Promise<{ round: PortageRound; label: string; stop: () => Promise<void> } | { missing: string }> {
  let portage;
  try {
    portage = await realPortage();
  } catch (err) {
    return { missing: `unpacking its source failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (portage === null) return { missing: portageMissing()! };
  const child = execa("python3", [portageScript, "serve"], { env: portageEnv(portage), extendEnv: false, stdin: "pipe", reject: false });
  const answers = child.iterable({ from: "stdout" })[Symbol.asyncIterator]();
  const ask = async (request: string): Promise<Record<string, unknown>> => {
    child.stdin!.write(`${request}\n`);
    const answer = await answers.next();
    if (answer.done === true) throw new Error(`python3 ${portageScript} stopped: ${String((await child).stderr).trim().split("\n").pop()}`);
    return JSON.parse(String(answer.value)) as Record<string, unknown>;
  };
  const stop = async (): Promise<void> => {
    child.stdin!.end();
    await child;
  };
  try {
    const info = await ask("info");
    const c = info["cParser"] === true ? "with" : "without";
    return {
      round: async (kind, path) => Number((await ask(`${kind} ${path}`))["ms"]),
      label: `Portage ${portage.version} (Python ${String(info["python"])}, ${c} its C dependency parser)`,
      stop,
    };
  } catch (err) {
    child.kill();
    await child;
    return { missing: `python3 could not run it: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Milliseconds per pass of `fn`, repeating it within the round when one pass is short. */
function timeRound(fn: () => unknown): number {
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    passes++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_ROUND_MS);
  return elapsed / passes;
}

/** Medians of alternating rounds of the baseline (Portage's, or the naive one without it) and binfleet's. */
async function alternate(theirs: () => Promise<number>, ours: () => unknown): Promise<{ ours: number; theirs: number }> {
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  for (let warm = 0; warm < 3; warm++) timeRound(ours);
  for (let r = 0; r < ROUNDS; r++) {
    theirsMs.push(await theirs());
    oursMs.push(timeRound(ours));
  }
  return { ours: median(oursMs), theirs: median(theirsMs) };
}

/** What each figure says about its baseline and rounds. */
interface Context {
  readonly inputs: Inputs;
  readonly portage: PortageRound | null;
  /** e.g. "baseline: Portage 3.0.82 (…) in this run; median of 7 rounds …" */
  readonly says: string;
}

/** A round of Portage's when it is here, else a round of the naive baseline. */
function baseline(context: Context, kind: "packages" | "atoms" | "vercmp", path: string, naive: () => unknown): () => Promise<number> {
  const portage = context.portage;
  return portage === null ? () => Promise.resolve(timeRound(naive)) : () => portage(kind, path);
}

const PACKAGES_IDS = ["formats.packages", "formats.packages.stanzas", "formats.packages.write"];

export const portageFormats: FigureGroup = { ids: ["formats.atom", "formats.vercmp", ...PACKAGES_IDS], figures: portageFormatFigures };

async function portageFormatFigures(want: Want): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-formats-"));
  const started = await startPortage();
  const portage = "round" in started ? started : null;
  try {
    const inputs = await writeInputs(dir);
    const against = portage === null ? `no Portage (${(started as { missing: string }).missing})` : `${portage.label} in this run`;
    const says = `baseline: ${against}; median of ${ROUNDS} rounds alternating with the baseline's; ${inputs.describe}`;
    const context: Context = { inputs, portage: portage?.round ?? null, says };
    // The small figures first: the index figures leave a large heap behind.
    return [
      ...(want("formats.atom") ? [await atomFigure(context)] : []),
      ...(want("formats.vercmp") ? [await vercmpFigure(context)] : []),
      ...(PACKAGES_IDS.some(want) ? await packagesFigures(context) : []),
    ];
  } finally {
    await portage?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function atomFigure(context: Context): Promise<Figure> {
  const path = context.inputs.atoms;
  const list = readFileSync(path, "utf8").split("\n").slice(0, -1);
  const simpleRe = /^(!!?)?([<>=~]*)([^/\s]+)\/([^\s:[]+)(?::([^\s:[]*))?(?:::(\S+?))?(\[.*\])?$/;
  // Each atom is dropped once read, as Portage's round drops its Atom objects.
  const theirs = baseline(context, "atoms", path, () => list.reduce((n, a) => n + (simpleRe.exec(a) === null ? 0 : 1), 0));
  const run = await alternate(theirs, () => list.reduce((n, a) => n + parseAtom(a).cp.length, 0));
  const perS = (ms: number): number => list.length / (ms / 1000);
  const against = context.portage === null ? "one non-validating regex split" : "portage.dep.Atom(s)";
  return figure("formats.atom", perS(run.ours), "atoms/s", perS(run.theirs), `${list.length.toLocaleString("en")} atoms, each parsed and validated: binfleet parseAtom against ${against}; ${context.says}`);
}

async function vercmpFigure(context: Context): Promise<Figure> {
  const path = context.inputs.versions;
  const pairs = readFileSync(path, "utf8").split("\n").slice(0, -1).map((l) => l.split("\t") as [string, string]);
  const all = (cmp: (a: string, b: string) => number) => (): number => pairs.reduce((s, [a, b]) => s + cmp(a, b), 0);
  const run = await alternate(baseline(context, "vercmp", path, all(naiveVercmp)), all(vercmp));
  const perS = (ms: number): number => pairs.length / (ms / 1000);
  const against = context.portage === null ? "a literal port of Portage's list-building vercmp" : "portage.versions.vercmp (its lru_cache of 1,024 pairs misses on this many)";
  return figure("formats.vercmp", perS(run.ours), "comparisons/s", perS(run.theirs), `${pairs.length.toLocaleString("en")} version pairs, both versions checked and parsed every call: binfleet vercmp against ${against}; ${context.says}`);
}

async function packagesFigures(context: Context): Promise<Figure[]> {
  const path = context.inputs.packages;
  const mib = statSync(path).size / 1024 ** 2;
  const size = `${viewPackagesIndex(readFileSync(path)).count.toLocaleString("en")} entries, ${mib.toFixed(1)} MiB`;
  const perS = (ms: number): number => mib / (ms / 1000);
  const theirs = baseline(context, "packages", path, () => readFileSync(path, "utf8").split("\n").length);
  const against = context.portage === null ? "splitting the file into lines" : "binarytree's PackageIndex.read building a dict per entry";
  const view = await alternate(theirs, () => {
    const index = viewPackagesIndex(readFileSync(path));
    let cpvs = 0;
    for (let i = 0; i < index.count; i++) cpvs += index.field(i, "CPV")!.length;
    return cpvs;
  });
  const stanzas = await alternate(theirs, () => parsePackagesIndex(readFileSync(path)).packages.length);
  const parsed = parsePackagesIndex(readFileSync(path));
  const lines = readFileSync(path, "utf8").split("\n");
  return [
    figure(
      "formats.packages",
      perS(view.ours),
      "MiB/s",
      perS(view.theirs),
      `Packages read, file read included (${size}): binfleet viewPackagesIndex (one pass checking and locating every line, then each entry's CPV; other values read on demand) against ${against}; ${context.says}`,
    ),
    figure("formats.packages.stanzas", perS(stanzas.ours), "MiB/s", perS(stanzas.theirs), `the same, every value made a string: binfleet parsePackagesIndex (a stanza of [key, value] pairs per entry) against ${against}; ${context.says}`),
    figure("formats.packages.write", opsPerSecond(() => formatPackagesIndex(parsed).length, mib, 3, 300), "MiB/s", opsPerSecond(() => lines.join("\n").length, mib, 3, 300), "formatPackagesIndex of the same index; baseline: joining its lines back"),
  ];
}

/** A literal port of Portage's list-building vercmp (BigInt lists, regex per call): the baseline without Portage. */
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
