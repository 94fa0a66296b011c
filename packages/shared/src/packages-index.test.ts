import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { PortageFormatError } from "./errors.js";
import { type PackagesIndex, field, formatPackagesIndex, parsePackagesIndex, readPackagesIndexStream, toBinaryPackage, viewPackagesIndex, withField } from "./packages-index.js";
import { fixture, fixturesRoot, noFixtures } from "./testing.js";

function indexFixtures(): string[] {
  if (fixturesRoot === null) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^Packages(\.|$)/.test(e.name) || /^binhost-Packages-.*\.txt$/.test(e.name) || /Packages$/.test(e.name)) out.push(p);
    }
  };
  walk(fixturesRoot);
  return out;
}

async function collect(text: string, chunk: number): Promise<PackagesIndex> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  let header: PackagesIndex["header"] = [];
  const packages: PackagesIndex["packages"][number][] = [];
  for await (const item of readPackagesIndexStream(Readable.from(chunks))) {
    if (item.kind === "header") header = item.stanza;
    else packages.push(item.stanza);
  }
  return { header, packages, trailingBlankLine: text.endsWith("\n\n") };
}

describe("Packages index on real files", { skip: noFixtures }, () => {
  test("every fixture index (plain and .gz) round-trips to identical bytes", () => {
    const files = indexFixtures();
    assert.ok(files.length >= 15, `found ${files.length}`);
    for (const file of files) {
      const raw = readFileSync(file);
      const text = (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
      const index = parsePackagesIndex(text);
      assert.equal(formatPackagesIndex(index), text, file);
      assert.equal(index.packages.length, Number(field(index.header, "PACKAGES") ?? index.packages.length), file);
    }
  });

  test("the streaming reader agrees with the whole-text reader, whatever the chunking", async () => {
    const text = readFileSync(fixture("real/binhost-Packages-amd64-2022-65pkgs-257-binpkgs.txt"), "utf8");
    const whole = parsePackagesIndex(text);
    for (const size of [1, 7, 4096]) assert.deepEqual(await collect(text, size), whole);
  });

  test("the view reads every value the stanzas hold, from text or from bytes", () => {
    for (const file of indexFixtures()) {
      const raw = readFileSync(file);
      const bytes = file.endsWith(".gz") ? gunzipSync(raw) : raw;
      const whole = parsePackagesIndex(bytes.toString("utf8"));
      assert.deepEqual(parsePackagesIndex(bytes), whole, file);
      const view = viewPackagesIndex(bytes);
      assert.deepEqual([view.header, view.count, view.trailingBlankLine], [whole.header, whole.packages.length, whole.trailingBlankLine], file);
      whole.packages.forEach((stanza, i) => {
        for (const [k] of stanza) assert.equal(view.field(i, k), field(stanza, k), `${file} #${i} ${k}`);
        assert.equal(view.field(i, "NOT_A_KEY"), undefined);
      });
    }
  });

  test("entries read as binary packages: build ids, slots, USE, inherited REPO", () => {
    const index = parsePackagesIndex(readFileSync(fixture("portage/packages-index/Packages.gpkg-multi-instance"), "utf8"));
    const pkgs = index.packages.map((s) => toBinaryPackage(s, index.header));
    const hello = pkgs.filter((p) => p.cpv.cp === "app-misc/hello" && p.cpv.version.raw === "1.1");
    assert.deepEqual(hello.map((p) => [p.buildId, p.use.join(" "), p.path]), [
      [1, "amd64 bar", "app-misc/hello/hello-1.1-1.gpkg.tar"],
      [2, "amd64 bar foo", "app-misc/hello/hello-1.1-2.gpkg.tar"],
    ]);
    const libdemo2 = pkgs.find((p) => p.cpv.cpv === "dev-libs/libdemo-2.0")!;
    assert.deepEqual([libdemo2.slot, libdemo2.subslot, libdemo2.repo], ["2", "2.0", "gentoo"]);
  });
});

describe("Packages index", () => {
  const sample = "ARCH: amd64\nPACKAGES: 2\nTIMESTAMP: 1\nVERSION: 0\n\nCPV: a/b-1\nSIZE: 10\n\nCPV: a/c-2\nUSE: x y\n\n";

  test("parse(format(x)) = x, with and without the trailing blank line", () => {
    const idx = parsePackagesIndex(sample);
    assert.deepEqual(parsePackagesIndex(formatPackagesIndex(idx)), idx);
    const noTrail = sample.slice(0, -1);
    assert.equal(formatPackagesIndex(parsePackagesIndex(noTrail)), noTrail);
    const edited = { ...idx, packages: [withField(idx.packages[0]!, "SIZE", "11"), idx.packages[1]!] };
    assert.equal(field(parsePackagesIndex(formatPackagesIndex(edited)).packages[0]!, "SIZE"), "11");
  });

  test("bytes are read as UTF-8, and the view refuses an entry it does not have", () => {
    const text = sample.replace("USE: x y", "DESC: Überprüfung ✓");
    const index = parsePackagesIndex(Buffer.from(text));
    assert.equal(field(index.packages[1]!, "DESC"), "Überprüfung ✓");
    assert.equal(formatPackagesIndex(index), text);
    const view = viewPackagesIndex(new Uint8Array(Buffer.from(text)));
    assert.equal(view.field(1, "DESC"), "Überprüfung ✓");
    assert.throws(() => view.field(2, "CPV"), RangeError);
    assert.throws(() => viewPackagesIndex(Buffer.from(text.slice(0, -3))), /does not end with a newline/);
  });

  test("a truncated or corrupt index is a clear error", async () => {
    const cases: [string, RegExp][] = [
      [sample.slice(0, sample.indexOf("USE: x") + 3), /does not end with a newline/],
      [sample.replace("\n\nCPV: a/c-2\nUSE: x y\n", "\n"), /PACKAGES: 2 but holds 1/],
      [sample.replace("CPV: a/c-2\n", ""), /has no CPV/],
      [sample.replace("SIZE: 10", "garbage line"), /line 7 is not 'KEY: value'/],
      ["", /empty/],
    ];
    for (const [text, why] of cases) {
      assert.throws(() => parsePackagesIndex(text), (e: unknown) => e instanceof PortageFormatError && why.test(e.message), String(why));
      await assert.rejects(collect(text, 5), (e: unknown) => e instanceof PortageFormatError && why.test(e.message), String(why));
    }
  });
});
