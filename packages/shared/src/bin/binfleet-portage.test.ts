import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { describe, test } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, glsaXml, noFixtures } from "../testing.js";
import { main } from "./binfleet-portage.js";

async function run(argv: string[], input = ""): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await main(argv, Readable.from([Buffer.from(input)]), stdout, stderr);
  return { code, out, err };
}

describe("binfleet-portage", () => {
  test("vercmp prints -1, 0 or 1", async () => {
    assert.deepEqual(await run(["vercmp", "1.0", "1.0_p1"]), { code: 0, out: "-1\n", err: "" });
    assert.equal((await run(["vercmp", "1.0-r0", "1.0"])).out, "0\n");
    assert.equal((await run(["vercmp", "2", "1.9"])).out, "1\n");
  });

  test("vercmp: a bad version is exit 2 with one error line", async () => {
    const r = await run(["vercmp", "1.0", "x"]);
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.match(r.err, /^error: invalid version: 'x'\n$/);
  });

  test("vercmp --batch reports bad lines inline", async () => {
    const r = await run(["vercmp", "--batch"], "1\t2\nfoo\t1\n1.0\t1.00\nnotab\n");
    assert.equal(r.code, 0);
    assert.deepEqual(r.out.split("\n"), ["-1", "error: invalid version: 'foo'", "0", "error: expected 'A<TAB>B', got 'notab'", ""]);
  });

  test("atom prints the documented JSON", async () => {
    const r = await run(["atom", "!!<=dev-libs/libdemo-1.2-r3:0/1=::gentoo[ssl?,-static-libs]"]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), {
      ok: true,
      atom: "!!<=dev-libs/libdemo-1.2-r3:0/1=::gentoo[ssl?,-static-libs]",
      category: "dev-libs",
      package: "libdemo",
      operator: "<=",
      version: "1.2-r3",
      blocker: "strong",
      slot: "0",
      subslot: "1",
      slotOperator: "=",
      repo: "gentoo",
      useDeps: ["ssl?", "-static-libs"],
      buildId: null,
    });
  });

  test("atom --batch: one object per line, bad atoms inline, exit 0", async () => {
    const r = await run(["atom", "--batch"], "=a/b-1*\nbad\n");
    assert.equal(r.code, 0);
    const [a, b] = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual([a!["ok"], a!["operator"], a!["version"]], [true, "=*", "1"]);
    assert.deepEqual([b!["ok"], b!["atom"], typeof b!["error"]], [false, "bad", "string"]);
  });

  test("usage errors are exit 2 without a stack trace", async () => {
    for (const argv of [[], ["frobnicate"], ["vercmp", "1"], ["atom"]]) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.err, /^error: /);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });

  test("emerge-pretend, packages-index (also gzip and --write) and vdb on fixtures", { skip: noFixtures }, async () => {
    const pretend = JSON.parse((await run(["emerge-pretend", fixture("portage/pretend/01-pvuDN-getbinpkg-world.binhost-env.stdout")])).out) as { entries: { kind: string }[]; total: { packages: number } };
    assert.equal(pretend.entries.length, 7);
    assert.equal(pretend.total.packages, 5);
    const gz = JSON.parse((await run(["packages-index", fixture("portage/packages-index/Packages.gpkg-multi-instance.gz")])).out) as { header: Record<string, string>; packages: unknown[] };
    assert.equal(gz.packages.length, Number(gz.header["PACKAGES"]));
    const written = await run(["packages-index", "--write", fixture("portage/packages-index/Packages.xpak-single")]);
    const { readFileSync } = await import("node:fs");
    assert.equal(written.out, readFileSync(fixture("portage/packages-index/Packages.xpak-single"), "utf8"));
    const vdb = JSON.parse((await run(["vdb", fixture("portage/vdb/node-initial")])).out) as { packages: { cpv: string }[] };
    assert.deepEqual(vdb.packages.map((p) => p.cpv), ["app-misc/demo-app-1.0", "app-misc/hello-1.0", "app-misc/oldtool-1.0", "dev-libs/libdemo-1.0"]);
    const one = JSON.parse((await run(["vdb", fixture("portage/vdb/node-initial/app-misc/hello-1.0")])).out) as { packages: { cpv: string }[] };
    assert.deepEqual(one.packages.map((p) => p.cpv), ["app-misc/hello-1.0"]);
  });

  test("a truncated index from stdin is exit 2", async () => {
    const r = await run(["packages-index", "-"], "ARCH: amd64\nPACKAGES: 1\n\nCPV: a/b-1\nSIZE: 1");
    assert.equal(r.code, 2);
    assert.match(r.err, /truncated/);
  });

  test("glsa FILE prints the advisory; --batch one verdict per line, bad lines inline", async () => {
    const dir = await mkdtemp(join(tmpdir(), "binfleet-portage-glsa-"));
    try {
      const file = join(dir, "glsa-209901-01.xml");
      await writeFile(file, glsaXml(`<package name="app-misc/foo" auto="yes" arch="*"><unaffected range="ge">1.2</unaffected><vulnerable range="lt">1.2</vulnerable></package>`));
      const shown = await run(["glsa", file]);
      assert.equal(shown.code, 0);
      assert.deepEqual((JSON.parse(shown.out) as { packages: unknown[] }).packages, [{ name: "app-misc/foo", arch: "*", auto: true, vulnerable: [{ op: "lt", version: "1.2", slot: null }], unaffected: [{ op: "ge", version: "1.2", slot: null }] }]);
      const lines = [
        { installed: [{ cpv: "app-misc/foo-1.1-r1", slot: "0" }], available: [{ cpv: "app-misc/foo-1.2-r2", slot: "0" }, { cpv: "app-misc/foo-1.3", slot: "0" }], arch: "amd64" },
        { installed: [{ cpv: "app-misc/foo-1.2" }], available: [], arch: "amd64" },
        "not json",
        { installed: [], arch: "amd64" },
        { installed: [{ cpv: "app-misc/foo", slot: "0" }], available: [], arch: "amd64" },
      ].map((l) => (typeof l === "string" ? l : JSON.stringify(l)));
      const r = await run(["glsa", file, "--batch"], `${lines.join("\n")}\n`);
      assert.equal(r.code, 0);
      const out = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(out.slice(0, 2), [{ vulnerable: true, minUpgrade: ["app-misc/foo-1.2-r2"] }, { vulnerable: false, minUpgrade: [] }]);
      assert.deepEqual(out.slice(2).map((o) => [o["ok"], typeof o["error"]]), [[false, "string"], [false, "string"], [false, "string"]]);
      assert.match(String(out[3]!["error"]), /^available: /);
      assert.match(String(out[4]!["error"]), /invalid package version: 'app-misc\/foo'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("glsa: a hostile or broken advisory is exit 2 with one error line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "binfleet-portage-glsa-"));
    try {
      const cases: [string, string | Buffer, RegExp][] = [
        ["bomb.xml", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><lolz>&b;</lolz>`, /internal subset/],
        ["huge.xml", Buffer.alloc(50 * 1024 * 1024, 0x20), /more than the 2097152 accepted/],
        ["range.xml", glsaXml(`<package name="a/b" auto="yes" arch="*"><vulnerable range="xx">1</vulnerable></package>`), /line \d+: <vulnerable> of a\/b: invalid range 'xx'/],
      ];
      for (const [name, content, message] of cases) {
        const file = join(dir, name);
        await writeFile(file, content);
        for (const argv of [["glsa", file], ["glsa", file, "--batch"]]) {
          const r = await run(argv, "{}\n");
          assert.equal(r.code, 2, name);
          assert.equal(r.out, "");
          assert.match(r.err, new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `), name);
          assert.match(r.err, message, name);
          assert.equal(r.err.split("\n").length, 2, name);
        }
      }
      assert.equal((await run(["glsa"])).code, 2);
      assert.match((await run(["glsa", join(dir, "missing.xml")])).err, /^error: ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
