// Differential test: binfleet-portage glsa --batch against real Portage's glsa module (through
// portage-glsa-shim.py) on the real advisories of ../shared/fixtures and on generated ones.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { locatePortage, preparePortage, skipNote } from "@binfleet/real-portage";
import { PackageSet, type SlottedPackage, evaluateGlsa, parseGlsa } from "@binfleet/shared";
import { main } from "@binfleet/shared/bin";
import { type SeededRandom, fixturesRoot, glsaXml, noFixtures, repoRoot, seededRandom } from "@binfleet/shared/testing";

const SHIM = join(repoRoot, "test/python/portage-glsa-shim.py");
const python = await execa("python3", ["--version"], { reject: false });
const skip = locatePortage() === null ? skipNote : python.exitCode === 0 ? false : "python3 is not installed: real Portage cannot run";

interface Case {
  readonly file: string;
  readonly arch: string;
  readonly installed: SlottedPackage[];
  readonly available: SlottedPackage[];
}
interface Tally {
  cases: number;
  vulnerable: number;
  withUpgrade: number;
  portageErrors: number;
}
interface PortageAnswer {
  readonly vulnerable?: boolean;
  readonly minUpgrade?: string[];
  readonly affected?: [string, string][];
  readonly error?: string;
}

// Generated cases are the same on every run; BINFLEET_GLSA_SEED explores others.
// No two versions here compare equal ("1.0"/"1.00", "1.2"/"1.2-r0"): with such ties Python's
// set order, which changes per process, picks among them, so not even Portage agrees with itself.
const BASES = ["0.9", "1", "1.0", "1.2", "1.2.3", "1.10", "2.0_rc1", "2.0", "2.0_p1", "2.0a", "3"];
const REVS = ["", "", "-r1", "-r2", "-r10"];
const NAMES = ["app-misc/foo", "dev-libs/bar"];
const OPS = ["lt", "le", "eq", "ge", "gt", "rlt", "rle", "rge", "rgt"];
const RANGE_SLOTS = [null, null, null, "0", "1", "*", "0/1", " 1 "];
const PKG_SLOTS = ["0", "0", "0", "1", "2", "0/1"];
const ARCHES = ["*", "*", "*", "amd64", "x86 amd64", "x86", "arm64 ppc64"];

function generatedAdvisory(r: SeededRandom, id: string): string {
  const range = (tag: string): string => {
    const op = r.pick(OPS);
    const glob = op === "eq" && r.chance(0.15);
    const version = `${r.pick(BASES)}${glob ? "*" : r.pick(REVS)}`;
    const slot = r.pick(RANGE_SLOTS);
    return `<${tag} range="${op}"${slot === null ? "" : ` slot="${slot}"`}>${version}</${tag}>`;
  };
  // The shape real advisories have: fixed from X on (per slot, maybe also a revision of an older branch), vulnerable below.
  const realistic = (): string[] => {
    const slot = r.pick(RANGE_SLOTS);
    const attr = slot === null ? "" : ` slot="${slot}"`;
    const fixed = `${r.pick(BASES)}${r.pick(REVS)}`;
    const lines = [`<unaffected range="ge"${attr}>${fixed}</unaffected>`, `<vulnerable range="lt"${attr}>${fixed}</vulnerable>`];
    if (r.chance(0.4)) lines.unshift(`<unaffected range="${r.pick(["rge", "rgt", "ge", "eq"])}">${r.pick(BASES)}${r.pick(REVS)}</unaffected>`);
    return lines;
  };
  const packages: string[] = [];
  for (let i = 0, n = 1 + r.int(3); i < n; i++) {
    const lines = r.chance(0.5) ? realistic() : [...Array.from({ length: r.int(4) }, () => range("unaffected")), ...Array.from({ length: 1 + r.int(3) }, () => range("vulnerable"))];
    packages.push(`<package name="${r.pick(NAMES)}" auto="${r.chance(0.8) ? "yes" : "no"}" arch="${r.pick(ARCHES)}">${lines.join("")}</package>`);
  }
  return glsaXml(packages.join(""), { id });
}

function randomSet(r: SeededRandom, versions: ReadonlyMap<string, readonly string[]>, slots: ReadonlyMap<string, readonly string[]>, max: number): SlottedPackage[] {
  const out: SlottedPackage[] = [];
  for (const [name, vs] of versions) {
    for (const v of r.subset(vs, max)) out.push({ cpv: `${name}-${v}`, slot: r.pick(slots.get(name)!) });
  }
  return out;
}

function generatedCases(r: SeededRandom, file: string, count: number): Case[] {
  const versions = new Map(NAMES.map((n) => [n, BASES.flatMap((b) => REVS.map((rev) => b + rev)).filter((v, i, a) => a.indexOf(v) === i)]));
  const slots = new Map(NAMES.map((n) => [n, PKG_SLOTS]));
  return Array.from({ length: count }, () => ({ file, arch: r.pick(["amd64", "amd64", "x86", "arm64"]), installed: randomSet(r, versions, slots, 2), available: randomSet(r, versions, slots, 8) }));
}

// Systems for a real advisory: versions at and around every boundary it names, in its slots.
function fixtureCases(r: SeededRandom, file: string, xml: string, count: number): Case[] {
  const advisory = parseGlsa(xml);
  const versions = new Map<string, Set<string>>();
  const slots = new Map<string, Set<string>>();
  for (const p of advisory.packages) {
    const vs = versions.get(p.name) ?? new Set(["0.1", "9999"]);
    const ss = slots.get(p.name) ?? new Set(["0"]);
    for (const range of [...p.vulnerable, ...p.unaffected]) {
      const m = /^(.*?)(?:-r(\d+))?$/.exec(range.version.replace(/\*$/, ""))!;
      const rev = Number(m[2] ?? 0);
      vs.add(range.version.replace(/\*$/, ""));
      vs.add(`${m[1]}-r${rev + 1}`);
      if (rev > 1) vs.add(`${m[1]}-r${rev - 1}`);
      vs.add(`${m[1]}_p1`);
      vs.add(`${m[1]}_rc1`);
      if (range.slot !== null) ss.add(range.slot);
    }
    versions.set(p.name, vs);
    slots.set(p.name, ss);
  }
  const v = new Map([...versions].map(([k, s]) => [k, [...s]]));
  const s = new Map([...slots].map(([k, x]) => [k, [...x]]));
  return Array.from({ length: count }, () => ({ file, arch: r.pick(["amd64", "x86"]), installed: randomSet(r, v, s, 2), available: randomSet(r, v, s, 5) }));
}

async function ourBatch(file: string, cases: readonly Case[]): Promise<Record<string, unknown>[]> {
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  const input = cases.map(({ installed, available, arch }) => JSON.stringify({ installed, available, arch })).join("\n");
  const code = await main(["glsa", file, "--batch"], Readable.from([Buffer.from(`${input}\n`)]), stdout, new PassThrough());
  assert.equal(code, 0, file);
  return out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("GLSA verdicts against real Portage", { skip }, () => {
  let dir = "";
  let lib = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "binfleet-glsa-"));
    lib = (await preparePortage()).lib;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs both sides on `cases` and asserts they agree; returns what they agreed on. */
  async function compare(t: test.TestContext, cases: Case[]): Promise<Tally> {
    const run = await execa("python3", [SHIM], { input: cases.map((c) => JSON.stringify(c)).join("\n"), env: { PYTHONPATH: lib }, maxBuffer: 256 * 1024 * 1024 });
    const portage = run.stdout.split("\n").map((l) => JSON.parse(l) as PortageAnswer);
    assert.equal(portage.length, cases.length);
    const byFile = new Map<string, number[]>();
    cases.forEach((c, i) => byFile.set(c.file, [...(byFile.get(c.file) ?? []), i]));
    const tally: Tally = { cases: 0, vulnerable: 0, withUpgrade: 0, portageErrors: 0 };
    for (const [file, idx] of byFile) {
      const ours = await ourBatch(file, idx.map((i) => cases[i]!));
      const advisory = parseGlsa(await readFile(file));
      idx.forEach((i, k) => {
        const c = cases[i]!;
        const p = portage[i]!;
        const o = ours[k]!;
        const what = `${file} ${JSON.stringify({ arch: c.arch, installed: c.installed, available: c.available })}: Portage ${JSON.stringify(p)}, ours ${JSON.stringify(o)}`;
        tally.cases++;
        if (p.error !== undefined) {
          tally.portageErrors++;
          assert.equal(o["ok"], false, what);
          return;
        }
        assert.deepEqual(o, { vulnerable: p.vulnerable, minUpgrade: p.minUpgrade }, what);
        const verdict = evaluateGlsa(advisory, { arch: c.arch, installed: PackageSet.of(c.installed), available: PackageSet.of(c.available) });
        const affected = verdict.affected.map((a) => [a.installed, a.upgrade ?? ""]).sort();
        assert.deepEqual(affected, p.affected, what);
        if (p.vulnerable === true) tally.vulnerable++;
        if ((p.minUpgrade ?? []).length > 0) tally.withUpgrade++;
      });
    }
    t.diagnostic(`agreed with real Portage on ${JSON.stringify(tally)}`);
    return tally;
  }

  /** Cases that say little (every one an error, nothing vulnerable) would make agreement hollow. */
  function assertTelling(tally: Tally): void {
    assert.ok(tally.vulnerable >= tally.cases / 10 && tally.withUpgrade >= tally.cases / 50 && tally.portageErrors <= tally.cases / 10, `too few telling cases: ${JSON.stringify(tally)}`);
  }

  test("real advisories of ../shared/fixtures, systems around their boundaries", { skip: noFixtures }, async (t) => {
    const glsaDir = join(fixturesRoot!, "real/glsa");
    const r = seededRandom(Number(process.env["BINFLEET_GLSA_SEED"] ?? 1));
    const cases: Case[] = [];
    for (const f of (await readdir(glsaDir)).filter((f) => f.endsWith(".xml")).sort()) {
      const file = join(glsaDir, f);
      cases.push(...fixtureCases(r, file, await readFile(file, "utf8"), 60));
    }
    assertTelling(await compare(t, cases));
  });

  test("corner cases: where Portage raises, -r0, undeclared entities", async (t) => {
    const file = join(dir, "glsa-209902-01.xml");
    const pkg = (lines: string): string => `<package name="app-misc/foo" auto="yes" arch="*">${lines}</package>`;
    await writeFile(file, glsaXml(pkg('<unaffected range="ge">1.2</unaffected><vulnerable range="lt">1.2</vulnerable>'), { id: "209902-01" }));
    const lead = join(dir, "glsa-209902-02.xml");
    await writeFile(lead, glsaXml(pkg('<unaffected range="rge">1.0-r01</unaffected><vulnerable range="lt">2</vulnerable>'), { id: "209902-02" }));
    const slotted = join(dir, "glsa-209902-03.xml");
    await writeFile(slotted, glsaXml(pkg('<unaffected range="rge" slot="0">1.0-r1</unaffected><vulnerable range="lt">2</vulnerable>'), { id: "209902-03" }));
    // Undeclared entities: expat (Portage) skips them under an external DTD, and so do we.
    const entities = join(dir, "glsa-209902-04.xml");
    await writeFile(entities, glsaXml(pkg('<unaffected range="ge">1.&nbsp;2</unaffected><vulnerable range="lt">1.2&zwj;</vulnerable>'), { id: "209902-04", extra: "<background><p>a&nbsp;b</p></background>" }));
    const foo = (v: string, slot = "0"): SlottedPackage => ({ cpv: `app-misc/foo-${v}`, slot });
    const at = (f: string, installed: SlottedPackage[], available: SlottedPackage[]): Case => ({ file: f, arch: "amd64", installed, available });
    const tally = await compare(t, [
      at(file, [foo("1.0")], [foo("1.2-r0")]), // the upgrade "-r0" names no ebuild Portage can look up
      at(file, [foo("1.0")], [foo("1.2-r0"), foo("1.2")]), // it does now: written without -r0
      at(file, [foo("1.0"), foo("1.1", "1")], [foo("1.2"), foo("1.3", "1"), foo("1.4", "1")]),
      at(file, [foo("1.0")], [foo("1.0"), foo("0.9")]),
      at(lead, [foo("1.0-r2")], []), // eval("2 >= 01")
      at(lead, [foo("3")], []), // nothing for the revision range to match: no eval
      at(slotted, [foo("1.0-r2")], []),
      at(slotted, [foo("1.1")], [foo("1.0-r1")]),
      at(slotted, [foo("1.1", "1")], [foo("1.0-r1", "1")]),
      at(entities, [foo("1.1")], [foo("1.2")]),
    ]);
    assert.deepEqual(tally, { cases: 10, vulnerable: 5, withUpgrade: 3, portageErrors: 4 });
  });

  test("generated advisories: every range form, slots, several unaffected branches, arch lists", async (t) => {
    const r = seededRandom(Number(process.env["BINFLEET_GLSA_SEED"] ?? 1) + 1);
    const cases: Case[] = [];
    for (let i = 0; i < 150; i++) {
      const file = join(dir, `glsa-209901-${String(i).padStart(2, "0")}.xml`);
      await writeFile(file, generatedAdvisory(r, `209901-${i}`));
      cases.push(...generatedCases(r, file, 20));
    }
    assertTelling(await compare(t, cases));
  });
});
