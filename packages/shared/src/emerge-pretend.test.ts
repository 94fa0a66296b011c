import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { parseEmergePretend, sizeToBytes } from "./emerge-pretend.js";
import { fixture, fixturesRoot, noFixtures, repoRoot } from "./testing.js";

const MERGE_LINE = /^\s*\[(ebuild|binary|blocks|uninstall|nomerge) /;

/** Every captured emerge output: pretend runs, installs, builds, the real samples and the seed. */
function emergeOutputs(): string[] {
  if (fixturesRoot === null) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(stdout|stderr|combined)$/.test(e.name) || /^emerge-.*\.txt$/.test(e.name)) out.push(p);
    }
  };
  walk(fixturesRoot);
  out.push(join(fixturesRoot, "..", "seed", "000_3b704d72eef44907.txt"));
  return out;
}

describe("parseEmergePretend on real Portage output", { skip: noFixtures }, () => {
  test("every merge-list line of every capture becomes an entry, nothing crashes", () => {
    const files = emergeOutputs();
    assert.ok(files.length > 100, `found ${files.length} capture files`);
    let lines = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const parsed = parseEmergePretend(text);
      const expected = text.split("\n").filter((l) => MERGE_LINE.test(l)).length;
      lines += expected;
      const stray = parsed.notes.filter((n) => MERGE_LINE.test(n));
      assert.deepEqual(stray, [], `${relative(repoRoot, file)}: merge lines left as notes`);
      assert.equal(parsed.entries.length, expected, relative(repoRoot, file));
    }
    assert.ok(lines > 200, `checked ${lines} merge lines`);
  });

  test("pretend/01: binary and ebuild lines, flags, slots, old versions, USE, sizes, total", () => {
    const p = parseEmergePretend(readFileSync(fixture("portage/pretend/01-pvuDN-getbinpkg-world.binhost-env.stdout"), "utf8"));
    const [hello, rcpkg, libdemo, libdemo2, newtool, oldtool, block] = p.entries;
    assert.deepEqual(
      { kind: hello!.kind, flags: hello!.flags, cpv: hello!.cpv, buildId: hello!.buildId, repo: hello!.repo, old: hello!.old, size: hello!.sizeBytes },
      { kind: "binary", flags: "gU", cpv: "app-misc/hello-1.1", buildId: 1, repo: "gentoo", old: [{ version: "1.0", slot: null, subslot: null, repo: "gentoo" }], size: 10240 },
    );
    assert.ok(hello!.flagInfo.remoteBinary && hello!.flagInfo.update && !hello!.flagInfo.new);
    assert.deepEqual(hello!.use["USE"]!.map((f) => [f.name, f.enabled]), [["bar", true], ["foo", false]]);
    assert.equal(rcpkg!.version, "2.0_rc1-r1");
    assert.deepEqual(rcpkg!.use["PYTHON_TARGETS"]!.map((f) => `${f.enabled ? "" : "-"}${f.name}`), ["python3_12", "-python3_13"]);
    assert.deepEqual([libdemo!.kind, libdemo!.flags, libdemo!.slot, libdemo!.subslot], ["ebuild", "R", "0", "1"]);
    assert.ok(libdemo!.use["USE"]![0]!.changed && libdemo!.use["USE"]![0]!.name === "ssl");
    assert.deepEqual([libdemo2!.flags, libdemo2!.slot, libdemo2!.subslot, libdemo2!.old![0]!.slot, libdemo2!.old![0]!.subslot], ["NS", "2", "2.0", "0", "1"]);
    assert.ok(libdemo2!.flagInfo.new && libdemo2!.flagInfo.newSlot);
    assert.deepEqual([newtool!.kind, newtool!.flags, newtool!.buildId], ["binary", "Ng", 1]);
    assert.deepEqual([oldtool!.kind, oldtool!.cpv, oldtool!.size], ["uninstall", "app-misc/oldtool-1.0", null]);
    assert.deepEqual([block!.kind, block!.flagInfo.block, block!.cp, block!.blocker?.atom], ["blocks", "b", "app-misc/oldtool", "app-misc/oldtool"]);
    assert.match(block!.blocker!.message, /is soft blocking app-misc\/newtool-1.0/);
    assert.deepEqual(p.total, {
      packages: 5,
      counts: { upgrades: 1, new: 2, newSlots: 1, reinstalls: 1, binaries: 2, uninstalls: 1 },
      downloadSize: "20 KiB",
      downloadBytes: 20480,
      conflict: { blocks: 1, unsatisfied: 0 },
    });
    assert.ok(p.notes.includes("Calculating dependencies ... done!"));
  });

  test("--columns, --tree and --quiet layouts", () => {
    const cols = parseEmergePretend(readFileSync(fixture("portage/pretend/11-pv-columns-uDN-getbinpkg-world.binhost-env.stdout"), "utf8"));
    const ns = cols.entries[3]!;
    assert.deepEqual([ns.cpv, ns.slot, ns.subslot, ns.repo, ns.old?.[0]?.version], ["dev-libs/libdemo-2.0", "2", "2.0", "gentoo", "1.0"]);
    assert.deepEqual([cols.entries[0]!.cpv, cols.entries[0]!.buildId], ["app-misc/hello-1.1", 1]);

    const tree = parseEmergePretend(readFileSync(fixture("portage/pretend/12-pv-tree-uDN-getbinpkg-world.binhost-env.stdout"), "utf8"));
    assert.deepEqual(tree.entries.map((e) => [e.kind, e.depth]), [
      ["ebuild", 0], ["ebuild", 0], ["ebuild", 0], ["binary", 0], ["nomerge", 0], ["blocks", 1], ["uninstall", 2], ["binary", 0],
    ]);

    const quiet = parseEmergePretend(readFileSync(fixture("portage/pretend/06-pquDN-getbinpkg-world.quiet.binhost-env.stdout"), "utf8"));
    assert.deepEqual([quiet.entries[0]!.flags, quiet.entries[0]!.repo, quiet.entries[0]!.old?.[0]?.version], ["gU", null, "1.0"]);
    assert.equal(quiet.total, null);
  });

  test("real user output: ROOT, LINGUAS, forced flags, comma sizes", () => {
    const kubler = parseEmergePretend(readFileSync(fixture("real/emerge-pretend-tree-binary-kubler-berne-nmap.txt"), "utf8"));
    const nmap = kubler.entries.find((e) => e.root !== null)!;
    assert.equal(nmap.root, "/emerge-root/");
    assert.ok(nmap.use["LINGUAS"]!.some((f) => f.name === "pt_BR" && !f.enabled));
    assert.ok(nmap.use["USE"]!.some((f) => f.name === "system-lua" && f.forced && !f.enabled));
    const liblinear = kubler.entries.find((e) => e.cp === "dev-libs/liblinear")!;
    assert.deepEqual([liblinear.version, liblinear.buildId, liblinear.slot, liblinear.subslot], ["210-r1", 1, "0", "3"]);
    const pyerge = parseEmergePretend(readFileSync(fixture("real/emerge-pretend-edited-excerpt-blocks-total-pyerge.txt"), "utf8"));
    assert.equal(pyerge.total?.downloadBytes, 642505 * 1024);
    assert.deepEqual(pyerge.total?.conflict, { blocks: 2, unsatisfied: null });
    assert.equal(pyerge.total?.counts["newSlots"], 2);
  });
});

describe("parseEmergePretend", () => {
  test("reads the 2007 layout from the seed how-to", () => {
    const text = [
      "emerge -gpvuDN world",
      '[ebuild     U ] net-dns/dnsmasq-2.34 [2.31] USE="-resolvconf%"',
      '[ebuild   R   ] dev-libs/glib-1.2.10-r5  USE="(-debug%) -hardened%"',
      '[binary     U ] net-dns/dnsmasq-2.34 [2.31] USE="-resolvconf%" 250 kB',
      '[ebuild   R   ] sys-kernel/gentoo-sources-2.6.17-r8  USE="-build -symlink* (-ultra1)" 40,553 kB',
      "[binary     U ] app-misc/ca-certificates-20061027.2 [20050804]",
    ].join("\n");
    const p = parseEmergePretend(text);
    assert.equal(p.entries.length, 5);
    assert.deepEqual(p.notes, ["emerge -gpvuDN world"]);
    const [dnsmasq, glib, bin, kernel] = p.entries;
    assert.deepEqual([dnsmasq!.flags, dnsmasq!.old?.[0]?.version, dnsmasq!.use["USE"]![0]], [
      "U",
      "2.31",
      { name: "resolvconf", enabled: false, changed: false, iuseChanged: true, forced: false, braced: false },
    ]);
    assert.deepEqual(glib!.use["USE"]![0], { name: "debug", enabled: false, changed: false, iuseChanged: true, forced: true, braced: false });
    assert.deepEqual([bin!.kind, bin!.sizeBytes], ["binary", 250 * 1024]);
    assert.equal(kernel!.sizeBytes, 40553 * 1024);
  });

  test("garbage and half lines become notes, never exceptions", () => {
    const inputs = ["[ebuild", "[ebuild  N     ]", "[ebuild  N     ] not-an-atom", "[binary    gU  ] app-misc/hello-1.1-1::gentoo [", "\u0000\u0001[blocks", "[ef301f25d1b8e2bca70fafc1316f1a92] Local copy of remote index is up-to-date and will be used.", "Total: many packages"];
    for (const line of inputs) {
      const p = parseEmergePretend(line);
      assert.equal(p.entries.length, 0, line);
      assert.deepEqual(p.notes, [line]);
    }
  });

  test("sizes", () => {
    assert.equal(sizeToBytes("0 KiB"), 0);
    assert.equal(sizeToBytes("1,024 KiB"), 1024 * 1024);
    assert.equal(sizeToBytes("2 MiB"), 2 * 1024 * 1024);
    assert.equal(sizeToBytes("lots"), null);
  });
});
