import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { type MergeEntry, parseEmergePretend, parsePackagesIndex, readVdb } from "@binfleet/shared/portage";
import { fixture, noFixtures } from "@binfleet/shared/testing";
import { runTool } from "./cli.js";
import { type FleetManifest, generateFleet } from "./fleet-generator.js";
import { makeSigningKey, trustKey } from "./gpg-test-keys.js";
import { type StaticServer, serveDirectory } from "./static-server.js";

async function run(tool: "emerge", root: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTool(tool, argv, { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0", ...env }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** The USE a plan entry shows, as an explicit USE= value (USE_EXPAND groups back in flag form). */
function useOf(e: MergeEntry): string {
  return Object.entries(e.use)
    .flatMap(([group, flags]) => flags.map((f) => `${f.enabled ? "" : "-"}${group === "USE" ? "" : `${group.toLowerCase()}_`}${f.name}`))
    .join(" ");
}

describe("a node and a signing binhost, through portage-sim", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let server: StaticServer;
  let builder: string;
  let node: string;
  let wanted: MergeEntry[];
  let fpr: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-flow-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 5, out: join(tmp, "fleet") });
    builder = fleet.platforms[0]!.builderRoot;
    node = fleet.nodes[0]!.root;
    const key = await makeSigningKey(join(builder, "etc/portage/gnupg-signing"));
    fpr = key.fpr;
    // A signing builder verifies what it injects into PKGDIR, so it trusts its own key too.
    await trustKey(join(builder, "etc/portage/gnupg"), key.pub, key.fpr);
    await trustKey(join(node, "etc/portage/gnupg"), key.pub, key.fpr);
    const plan = parseEmergePretend((await run("emerge", node, ["-pvuDN", "@world"])).out);
    wanted = plan.entries.filter((e) => e.kind === "ebuild").slice(0, 3);
    for (const e of wanted) {
      const r = await run("emerge", builder, ["--buildpkg", "--oneshot", `=${e.cpv}`], {
        USE: useOf(e),
        FEATURES: "binpkg-signing",
        BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing",
        BINPKG_GPG_SIGNING_KEY: key.fpr,
      });
      assert.equal(r.code, 0, r.err + r.out.slice(-2000));
    }
    server = await serveDirectory(join(builder, "var/cache/binpkgs"), { user: "binuser", pass: "binpass" });
    const u = new URL(server.url);
    await mkdir(join(node, "etc/portage/binrepos.conf"), { recursive: true });
    await writeFile(join(node, "etc/portage/binrepos.conf/binfleet.conf"), `[binfleet]\npriority = 10\nsync-uri = http://binuser:binpass@${u.host}\n`);
  });
  after(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test("the builder wrote signed gpkgs and an index that parses", async () => {
    const index = parsePackagesIndex(await readFile(join(builder, "var/cache/binpkgs/Packages"), "utf8"));
    for (const e of wanted) assert.ok(index.packages.some((s) => s.some(([k, v]) => k === "CPV" && v === e.cpv)), e.cpv!);
    const path = index.packages[0]!.find(([k]) => k === "PATH")![1];
    const listing = (await execa("tar", ["-tf", join(builder, "var/cache/binpkgs", path)])).stdout.split("\n");
    assert.deepEqual(listing.map((l) => l.replace(/^[^/]+\//, "")), ["gpkg-1", "metadata.tar.zst", "metadata.tar.zst.sig", "image.tar.zst", "image.tar.zst.sig", "Manifest"]);
  });

  test("the builder's Packages entries have the keys, in the order, of real Portage's", { skip: noFixtures }, async () => {
    const real = parsePackagesIndex(await readFile(fixture("portage/packages-index/Packages.gpkg-multi-instance"), "utf8"));
    // "a before b" pairs as real Portage writes them, over all its entries.
    const before = new Set<string>();
    const known = new Set<string>();
    for (const st of real.packages) st.forEach(([a], i) => (known.add(a), st.slice(i + 1).forEach(([b]) => before.add(`${a} ${b}`))));
    const ours = parsePackagesIndex(await readFile(join(builder, "var/cache/binpkgs/Packages"), "utf8"));
    for (const st of ours.packages) {
      const keys = st.map(([k]) => k);
      assert.deepEqual(keys.filter((k) => !known.has(k)), [], "no keys Portage does not write");
      keys.forEach((a, i) => keys.slice(i + 1).forEach((b) => assert.ok(!before.has(`${b} ${a}`), `Portage writes ${b} before ${a}`)));
    }
    assert.deepEqual(ours.header.map(([k]) => k), [...ours.header.map(([k]) => k)].sort(), "header keys sorted, as Portage writes them");
  });

  test("the node shows [binary] for what the binhost has and [ebuild] for the rest", async () => {
    const r = await run("emerge", node, ["-pvuDNg", "@world"]);
    assert.equal(r.code, 0, r.err);
    const entries = parseEmergePretend(r.out).entries;
    for (const e of wanted) {
      const got = entries.find((x) => x.cpv === e.cpv)!;
      assert.equal(got.kind, "binary", `${e.cpv}: ${r.err}`);
      assert.ok(got.flagInfo.remoteBinary);
    }
    assert.ok(entries.some((x) => x.kind === "ebuild"));
    assert.ok(server.requests.some((q) => q.startsWith("GET /Packages.gz (auth)")), "index fetched with credentials after the challenge");
  });

  test("emerge -guDN @world installs the binaries (verified) and compiles the rest; the node is then current", async () => {
    const r = await run("emerge", node, ["--getbinpkg", "--update", "--deep", "--newuse", "@world"]);
    assert.equal(r.code, 0, r.err + r.out.slice(-1500));
    const installed = await readVdb(join(node, "var/db/pkg"));
    for (const e of wanted) {
      const p = installed.find((x) => x.cpv.cpv === e.cpv)!;
      assert.ok(p !== undefined, e.cpv!);
      assert.equal(p.buildId, 1);
      assert.match(p.binpkgMd5 ?? "", /^[0-9a-f]{32}$/);
      const expect = useOf(e).split(" ").filter((f) => f !== "" && !f.startsWith("-"));
      for (const f of expect) assert.ok(p.use.includes(f), `${e.cpv} has ${f}`);
    }
    const again = parseEmergePretend((await run("emerge", node, ["-pvuDNg", "@world"])).out);
    assert.equal(again.total?.packages, 0);
  });

  test("a tampered binary is refused after download, as Portage refuses it", async () => {
    const pkgdir = join(builder, "var/cache/binpkgs");
    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
    const stanza = index.packages.find((s) => s.some(([k, v]) => k === "CPV" && v === wanted[0]!.cpv))!;
    const path = stanza.find(([k]) => k === "PATH")![1];
    const file = join(pkgdir, path);
    const data = await readFile(file);
    // Flip one bit inside the image member, and fix the index digests (the 04b capture).
    const at = data.indexOf(Buffer.from("image.tar.zst")) + 512 + 40;
    data[at] = data[at]! ^ 1;
    await writeFile(file, data);
    const { createHash } = await import("node:crypto");
    const fixed = (await readFile(join(pkgdir, "Packages"), "utf8"))
      .replace(stanza.find(([k]) => k === "MD5")![1], createHash("md5").update(data).digest("hex"))
      .replace(stanza.find(([k]) => k === "SHA1")![1], createHash("sha1").update(data).digest("hex"))
      // Rewritten, the index is stamped anew, or Portage would keep its cached copy (same TIMESTAMP).
      .replace(/^TIMESTAMP: (\d+)$/m, (_, t: string) => `TIMESTAMP: ${Number(t) + 1}`);
    await writeFile(join(pkgdir, "Packages"), fixed);
    const { gzipSync } = await import("node:zlib");
    await writeFile(join(pkgdir, "Packages.gz"), gzipSync(fixed));
    // As in the capture, the node's cached index and package are gone: both are downloaded fresh. (A
    // kept index would be believed: Portage asks with its TIMESTAMP + 5 s, and this rewrite kept it.)
    await rm(join(node, "var/cache/binhost"), { recursive: true, force: true });
    await rm(join(node, "var/cache/edb/binhost"), { recursive: true, force: true });
    const r = await run("emerge", node, ["--getbinpkg", "--oneshot", `=${wanted[0]!.cpv}`]);
    assert.equal(r.code, 1, r.out.slice(-1000));
    assert.match(r.err, /Binary package is not usable \(verification failed\)/);
    assert.match(r.out, />>> Failed to emerge/);
  });

  test("a node that does not trust the key refuses the binary", async () => {
    await rm(join(node, "var/cache/binhost"), { recursive: true, force: true });
    const r = await run("emerge", node, ["--getbinpkg", "--oneshot", `=${wanted[1]!.cpv}`], { BINPKG_GPG_VERIFY_GPG_HOME: "/etc/portage/gnupg-empty" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /binpkg signed with at least one unknown key|verification failed/);
    assert.ok(fpr.length === 40);
  });
});
