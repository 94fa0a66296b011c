import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { describe, test } from "node:test";
import { fixture, noFixtures } from "../testing.js";
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
});
