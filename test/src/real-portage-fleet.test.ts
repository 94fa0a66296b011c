// test: long 234 (seconds it took in a full npm test run: long files start first, longest first)
// The real-Portage tier: the whole loop with real Portage at every Portage call. Two platforms
// (different CFLAGS) with builder roots where builds run as `/` under bubblewrap; three nodes, each a
// real-Portage machine with its own /etc/portage, vdb and world, whose agents report real
// `emerge -pvuDN --getbinpkg @world` plans; enrollment, approval, builds of signed gpkgs, a rollout.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { locatePortage, skipNote } from "@binfleet/real-portage";
import { field, parsePackagesIndex } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { type RealFleet, installedOn, pendingOn, startRealFleet } from "./real-fleet-harness.js";

const WANTED = ["app-misc/hello", "dev-libs/libdemo", "app-misc/demo-app"];

/** Paths a build on the host's live system would write (the tiny repo's packages install /usr/bin/<pn>, /usr/share/<pn>). */
const HOST_SENTINELS = ["/usr/bin/hello", "/usr/share/hello", "/usr/bin/demo-app", "/usr/share/demo-app", "/usr/share/libdemo", "/var/db/pkg", "/var/lib/portage/world"];

describe("binfleet on real Portage: two platforms, three nodes, enrollment, approval, builds, a rollout", { skip: locatePortage() === null ? skipNote : false }, () => {
  let tmp: string;
  let fleet: RealFleet;
  const hostBefore = new Map<string, boolean>();

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-rp-"));
    for (const p of HOST_SENTINELS) hostBefore.set(p, existsSync(p));
    fleet = await startRealFleet({
      dir: tmp,
      requireApproval: true,
      platforms: [
        { name: "amd64", flags: "-O2 -pipe" },
        { name: "amd64-fp", flags: "-O2 -pipe -fno-omit-frame-pointer" },
      ],
      nodes: [
        { name: "node-a", platform: "amd64", world: ["app-misc/hello", "app-misc/demo-app"] },
        // The same packages with another USE: a second variant of hello, built once for it.
        // Only what the test needs of the other nodes: every real build costs ~15 s of CPU.
        // node-b used Gentoo's binhost before: binrepos.conf is a file, getuto made its keyring.
        { name: "node-b", platform: "amd64", world: ["app-misc/hello"], packageUse: ["app-misc/hello foo"], getuto: true },
        { name: "node-c", platform: "amd64-fp", world: ["app-misc/hello"] },
      ],
    });
  });

  after(async () => {
    if (fleet !== undefined) await fleet.teardown();
    if (process.env["BINFLEET_E2E_KEEP"] === undefined) await rm(tmp, { recursive: true, force: true });
  });

  const plan = async () => (await fleet.cli("plan")).json as { items: { variantId: string; platformKey: string; cpv: string; use: string[]; state: string }[] };

  test("every node reports its real plan; the build list waits for approval", async () => {
    const p = await until(
      "a plan with every node's needs",
      async () => {
        const r = await plan();
        return r.items.length >= 5 ? r : null;
      },
      240_000,
      1000,
    ).catch((err: Error) => assert.fail(`${err.message}\n${fleet.logs().slice(-4000)}`));
    assert.ok(p.items.every((i) => i.state === "BUILD_STATE_WAITING_APPROVAL"), JSON.stringify(p.items));
    const keys = new Set([...fleet.builders.values()].map((b) => b.key));
    assert.equal(keys.size, 2, "two platforms");
    const byPlatform = (k: string) => p.items.filter((i) => i.platformKey === k).map((i) => `${i.cpv} ${i.use.join(",")}`).sort();
    // hello twice on the first platform (node-b's USE=foo), libdemo (demo-app's dependency) and
    // demo-app once; the second platform only hello, all node-c wants.
    const packagesOf = (k: string) => byPlatform(k).map((v) => v.replace(/-[0-9][^ ]* .*$/, ""));
    assert.deepEqual(packagesOf(fleet.builders.get("amd64")!.key), ["app-misc/demo-app", "app-misc/hello", "app-misc/hello", "dev-libs/libdemo"], JSON.stringify(p.items));
    assert.deepEqual(packagesOf(fleet.builders.get("amd64-fp")!.key), ["app-misc/hello"], JSON.stringify(p.items));
    for (const [name, n] of fleet.nodes) assert.match(await pendingOn(n.machine), /\[ebuild {2}N/, `${name} would compile before binfleet`);
  });

  test("approved variants are built inside the builder roots, signed, each once", async () => {
    for (const name of fleet.builders.keys()) {
      const r = await fleet.cli("approve", "--all", "--platform", name);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    let last: unknown = null;
    await until(
      "every variant built",
      async () => {
        const items = (await plan()).items;
        last = items;
        if (items.some((i) => i.state === "BUILD_STATE_FAILED")) throw new Error(`a build failed:\n${fleet.logs().slice(-6000)}`);
        return items.every((i) => i.state === "BUILD_STATE_SUCCEEDED") ? items : null;
      },
      600_000,
      // Five real builds take minutes; each look is a CLI process (~0.2 CPU-s).
      5000,
    ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(last)}\n${fleet.logs().slice(-6000)}`));
    for (const [name, b] of fleet.builders) {
      const index = parsePackagesIndex(await readFile(b.machine.path("/var/cache/binpkgs/Packages"), "utf8"));
      const variants = index.packages.map((s) => `${field(s, "CPV")} ${field(s, "USE") ?? ""}`);
      assert.equal(new Set(variants).size, variants.length, `${name}: no variant twice: ${variants.join("; ")}`);
      for (const s of index.packages) {
        const gpkg = await readFile(join(b.machine.path("/var/cache/binpkgs"), field(s, "PATH")!));
        assert.ok(gpkg.includes("-----BEGIN PGP SIGNATURE-----"), `${field(s, "CPV")} on ${name} is signed`);
      }
      // Merged into the builder root (its own vdb), with the root's toolchain: not the host's.
      assert.ok((await readdir(b.machine.path("/var/db/pkg/app-misc"))).some((e) => e.startsWith("hello-")), `${name}'s root holds what it built`);
    }
    for (const p of HOST_SENTINELS) assert.equal(existsSync(p), hostBefore.get(p), `the host's ${p} untouched by builds`);
  });

  test("a rollout: every node ends current, each package installed from a binary real Portage verified, nothing compiled", async () => {
    const r = await fleet.cli("rollout", "start", "--canary", "1", "--max-in-flight", "2", "--watch");
    assert.equal(r.exitCode, 0, `${r.stderr}\n${r.stdout.slice(-2000)}\n${fleet.logs().slice(-6000)}`);
    await until(
      "every node current",
      async () => {
        const nodes = ((await fleet.cli("nodes")).json as { nodes: { nodeId: string; state: string }[] }).nodes;
        return nodes.length === 3 && nodes.every((n) => n.state === "current") ? nodes : null;
      },
      180_000,
      1000,
    );
    for (const [name, n] of fleet.nodes) {
      assert.match(await pendingOn(n.machine), /Total: 0 packages/, `${name} has nothing left to do`);
      const installed = await installedOn(n.machine, WANTED);
      assert.equal(installed.size, name === "node-a" ? 3 : 1, `${name}: ${[...installed.keys()].join(", ")}`);
      for (const [pf, md5] of installed) assert.match(md5, /^[0-9a-f]{32}$/, `${name}'s ${pf} came from a binary (BINPKGMD5)`);
      // Portage verifies binpkg signatures by default: the binrepo enrollment wrote leaves verify-signature on.
      const binrepos = n.machine.path("/etc/portage/binrepos.conf");
      const conf = await readFile((await stat(binrepos)).isDirectory() ? join(binrepos, "binfleet.conf") : binrepos, "utf8");
      assert.match(conf, /^\[binfleet\]$/m, `${name}: enrolled in binrepos.conf`);
      assert.doesNotMatch(conf, /verify-signature\s*=\s*false/);
    }
    // Enrollment on a node getuto set up kept what was there: the file, the anchor and the release key.
    const b = fleet.nodes.get("node-b")!.machine;
    const binrepos = await readFile(b.path("/etc/portage/binrepos.conf"), "utf8");
    assert.match(binrepos, /^# Binary package repositories/, "binrepos.conf is still the admin's file");
    assert.match(binrepos, /sync-uri = http:\/\/127\.0\.0\.1:\d+\//, "with binfleet's binhost in it");
    const keys = await execa("gpg", ["--homedir", b.path("/etc/portage/gnupg"), "--batch", "--with-colons", "--list-keys"]);
    assert.match(keys.stdout, /^uid:f:[^\n]*Gentoo Linux Release Engineering/m, "getuto's release key still valid");
    assert.match(keys.stdout, /^uid:f:[^\n]*binfleet builder/m, "binfleet's binpkg key valid through the same anchor");
    const hello = (await installedOn(b, ["app-misc/hello"])).keys().next().value!;
    assert.match(await readFile(fleet.nodes.get("node-b")!.machine.path(`/var/db/pkg/${hello}/USE`), "utf8"), /\bfoo\b/, "node-b got its own variant");
    for (const p of HOST_SENTINELS) assert.equal(existsSync(p), hostBefore.get(p), `the host's ${p} untouched`);
  });
});
