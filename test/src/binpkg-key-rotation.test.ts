// test: long 44 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { adminTokenFile, variantKey } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet, runTool } from "@binfleet/portage-sim";
import { field, parsePackagesIndex } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { until } from "@binfleet/shared/testing";
import { type FleetHarness, pretend, simEmerge, startFleet } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

/** Which key signed a gpkg: the VALIDSIG of its clear-signed Manifest, checked against every key the builder ever had. */
async function signerOf(file: string, keyHome: string): Promise<string> {
  const manifest = await execa("tar", ["-xOf", file, "--wildcards", "*/Manifest"], { encoding: "buffer" });
  const r = await execa("gpg", ["--homedir", keyHome, "--batch", "--no-tty", "--status-fd", "1", "--verify"], { input: manifest.stdout, reject: false });
  return /^\[GNUPG:\] VALIDSIG ([0-9A-F]{40})/m.exec(r.stdout)?.[1] ?? `unsigned or bad: ${r.stdout}`;
}

/** The binpkg keys a node's Portage has (its verify home). */
async function nodeKeys(root: string): Promise<string[]> {
  const r = await execa("gpg", ["--homedir", join(root, "etc/portage/gnupg"), "--batch", "--no-tty", "--with-colons", "--list-keys"], { reject: false });
  return [...r.stdout.matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1]!);
}

describe("rotating the binpkg signing key: no node is stranded, the old key is retired", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  let pkgdir: string;
  let signingHome: string;
  let oldKey: string;
  let newKey: string;
  let oldCopy: { path: string; cpv: string; data: Buffer };

  before(async () => {
    // A short name: gpg-agent's sockets in the builder root's gpg home under it must stay within 106 bytes.
    tmp = await mkdtemp(join(tmpdir(), "binfleet-rotate-"));
    fleet = await generateFleet({ nodes: 2, platforms: 1, seed: 13, lag: 0.02, out: join(tmp, "fleet") });
    pkgdir = join(fleet.platforms[0]!.builderRoot, "var/cache/binpkgs");
    signingHome = join(fleet.platforms[0]!.builderRoot, "etc/portage/gnupg-signing");
    h = await startFleet({ fleet, dir: tmp, log: createLogger({ name: "e2e", level: "error", destination: new PassThrough() }), speed: "0" });
    for (const n of fleet.nodes) await h.untilCurrent(n, `${n.name} current`, 600_000);
    oldKey = h.coordinator.keyring.current(fleet.platforms[0]!.name)!;
    const first = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages[0]!;
    oldCopy = { path: field(first, "PATH")!, cpv: field(first, "CPV")!, data: await readFile(join(pkgdir, field(first, "PATH")!)) };
  });

  after(async () => {
    await h?.teardown();
    await execa("gpgconf", ["--homedir", signingHome, "--kill", "gpg-agent"], { reject: false });
    await rm(tmp, { recursive: true, force: true });
  });

  test("binfleet keys rotate-binpkg: nodes trust the new key, every binary is signed again with it, the old key is retired", async () => {
    const platform = fleet.platforms[0]!;
    const before = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages;
    for (const s of before) assert.equal(await signerOf(join(pkgdir, field(s, "PATH")!), signingHome), oldKey, `${field(s, "CPV")} signed with the first key`);
    // A node enrolled but not heard from yet: its bundle named the first key, and the coordinator cannot know its platform.
    await h.coordinator.enrollment.enrollNode("node-late", { name: "test", role: "admin" });
    const cli = await runProgram("binfleet", ["--server", h.coordinator.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "--json", "keys", "rotate-binpkg", platform.name], { reject: false });
    assert.equal(cli.exitCode, 0, cli.stderr + cli.stdout);
    const r = JSON.parse(cli.stdout) as { fingerprint: string; previousFingerprint: string; nodesTold: string[]; resigned: number; failed?: string[]; previousRetired: boolean };
    newKey = r.fingerprint;
    assert.equal(r.previousFingerprint, oldKey);
    assert.notEqual(newKey, oldKey);
    assert.deepEqual(r.nodesTold, [...fleet.nodes.map((n) => n.name), "node-late"].sort());
    assert.equal(r.resigned, before.length);
    assert.deepEqual(r.failed ?? [], []);
    assert.equal(r.previousRetired, true);
    assert.equal(h.coordinator.keyring.current(platform.name), newKey);
    assert.deepEqual(h.coordinator.keyring.get(platform.name)!.trusted.map((k) => k.fingerprint), [newKey], "new enrollments trust the new key alone");

    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages;
    assert.deepEqual(index.map((s) => field(s, "PATH")), before.map((s) => field(s, "PATH")), "the same binaries, none lost or added");
    for (const s of index) {
      const file = join(pkgdir, field(s, "PATH")!);
      assert.equal(await signerOf(file, signingHome), newKey, `${field(s, "CPV")} signed again with the new key`);
      const data = await readFile(file);
      assert.equal(field(s, "MD5"), createHash("md5").update(data).digest("hex"), `${field(s, "CPV")}: its index entry matches the re-signed file`);
      assert.equal(field(s, "SIZE"), String(data.length));
    }
    // The late node finds, in order, {old, new} then {new}, named for this platform (a node on another refuses them).
    const late = await h.commandsFor("node-late");
    assert.deepEqual(
      late.map((c) => (c.action.case === "trustBinpkgKeys" ? [c.action.value.platformKey, c.action.value.keys.map((k) => k.fingerprint)] : c.action.case)),
      [[platform.key, [oldKey, newKey]], [platform.key, [newKey]]],
    );
    // Nodes take their commands in order: {old, new}, then {new}.
    for (const n of fleet.nodes) {
      await until(`${n.name} trusts the new key alone`, async () => {
        const keys = await nodeKeys(n.root);
        return keys.includes(newKey) && !keys.includes(oldKey) ? true : null;
      }, 60_000, 250);
    }
  });

  test("after the rotation, a node installs a binary signed before it (now re-signed) from the binhost", async () => {
    const node = fleet.nodes[0]!;
    await rm(join(node.root, "var/cache/binhost"), { recursive: true, force: true });
    const r = await simEmerge(node.root, ["--getbinpkg", "--oneshot", `=${oldCopy.cpv}`]);
    assert.equal(r.code, 0, r.out.slice(-2000));
    assert.match(r.out, new RegExp(`>>> Emerging binary \\(1 of 1\\) ${oldCopy.cpv.replace(/[.+]/g, "\\$&")}`));
  });

  test("a build after the rotation is signed with the new key, and the node installs it", async () => {
    const node = fleet.nodes[0]!;
    const platform = fleet.platforms[0]!;
    const before = await h.binhostCounts();
    const { iuse } = await h.changeUse(node);
    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages;
    const added = index.filter((s) => !before.get(platform.name)!.has(variantKey({ platformKey: platform.key, cpv: field(s, "CPV")!, use: (field(s, "USE") ?? "").split(" ").filter((f) => iuse.has(f)).sort() })));
    assert.ok(added.length >= 1, "the new variant is on the binhost");
    for (const s of added) assert.equal(await signerOf(join(pkgdir, field(s, "PATH")!), signingHome), newKey, `${field(s, "CPV")} built after the rotation`);
    assert.equal((await pretend(node.root)).plan.total?.packages ?? 0, 0, "the node installed it: nothing left to do");
  });

  test("a binary signed with the retired key (restored from a backup, index fixed) is refused by the node", async () => {
    const node = fleet.nodes[1]!;
    const builder = fleet.platforms[0]!.builderRoot;
    await writeFile(join(pkgdir, oldCopy.path), oldCopy.data);
    let err = "";
    assert.equal(await runTool("emaint", ["binhost", "--fix"], { BINFLEET_SIM_ROOT: builder }, { out: () => undefined, err: (t) => void (err += t) }), 0, err);
    await rm(join(node.root, "var/cache/binhost"), { recursive: true, force: true });
    const r = await simEmerge(node.root, ["--getbinpkg", "--oneshot", `=${oldCopy.cpv}`]);
    assert.equal(r.code, 1, r.out.slice(-2000));
    assert.match(r.out, /Binary package is not usable \(verification failed\)[\s\S]*binpkg signed with at least one unknown key/);
  });

  test("nodes, builders and the coordinator kept to their bus permissions throughout", () => {
    assert.deepEqual(h.busRefusals(), []);
  });
});
