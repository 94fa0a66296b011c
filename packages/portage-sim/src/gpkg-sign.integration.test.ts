import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { field, parseEmergePretend, parsePackagesIndex } from "@binfleet/shared/portage";
import { fixture, noFixtures } from "@binfleet/shared/testing";
import { runTool, type ToolName } from "./cli.js";
import { generateFleet } from "./fleet-generator.js";
import { makeSigningKey, trustKey } from "./gpg-test-keys.js";
import { openGpkg } from "./gpkg.js";
import { readTar } from "./tar.js";

async function run(tool: ToolName, root: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTool(tool, argv, { BINFLEET_SIM_ROOT: root, BINFLEET_SIM_SPEED: "0", ...env }, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A gpkg's members (without the top directory) and their bytes, in archive order. */
const members = (data: Buffer): [string, Buffer][] => readTar(data).filter((e) => e.type === "0").map((e) => [e.name.replace(/^[^/]+\//, ""), e.data]);

describe("re-signing a PKGDIR with another key: gpkg-sign, then emaint binhost --fix", () => {
  let tmp: string;
  let builder: string;
  let pkgdir: string;
  let paths: string[];
  let oldKey: { fpr: string; pub: string };
  let newKey: { fpr: string; pub: string };
  const signWith = (fpr: string) => ({ BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing", BINPKG_GPG_SIGNING_KEY: fpr });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-resign-"));
    const fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 9, out: join(tmp, "fleet") });
    builder = fleet.platforms[0]!.builderRoot;
    pkgdir = join(builder, "var/cache/binpkgs");
    oldKey = await makeSigningKey(join(builder, "etc/portage/gnupg-signing"));
    await trustKey(join(builder, "etc/portage/gnupg"), oldKey.pub, oldKey.fpr);
    const plan = parseEmergePretend((await run("emerge", fleet.nodes[0]!.root, ["-pvuDN", "@world"])).out);
    for (const e of plan.entries.filter((x) => x.kind === "ebuild").slice(0, 3)) {
      const r = await run("emerge", builder, ["--buildpkg", "--oneshot", `=${e.cpv}`], { FEATURES: "binpkg-signing", ...signWith(oldKey.fpr) });
      assert.equal(r.code, 0, r.err);
    }
    paths = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages.map((s) => field(s, "PATH")!);
    newKey = await makeSigningKey(join(builder, "etc/portage/gnupg-signing"));
    await trustKey(join(builder, "etc/portage/gnupg"), newKey.pub, newKey.fpr);
  });
  after(async () => {
    await execa("gpgconf", ["--homedir", join(builder, "etc/portage/gnupg-signing"), "--kill", "gpg-agent"], { reject: false });
    await rm(tmp, { recursive: true, force: true });
  });

  test("emaint binhost finds nothing to fix in an index the builder wrote", async () => {
    assert.ok(paths.length >= 3, "packages were built");
    const r = await run("emaint", builder, ["binhost"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
  });

  test("gpkg-sign signs each package with the new key: its tarballs stay byte for byte, it verifies with the new key alone", async () => {
    const file = join(pkgdir, paths[0]!);
    const before = await readFile(file);
    // emaint tells a stale entry by size and mtime (in seconds) alone: sign in a later second than the build.
    await sleep(1000 - (Date.now() % 1000) + 5);
    const r = await run("gpkg-sign", builder, [`/var/cache/binpkgs/${paths[0]}`], signWith(newKey.fpr));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, ` * /var/cache/binpkgs/${paths[0]} signed.\n`);
    const after = await readFile(file);
    assert.notDeepEqual(after, before);
    const was = new Map(members(before));
    assert.deepEqual(members(after).map(([n]) => n), ["gpkg-1", "metadata.tar.zst", "metadata.tar.zst.sig", "image.tar.zst", "image.tar.zst.sig", "Manifest"]);
    for (const [name, data] of members(after)) {
      if (name.endsWith(".tar.zst")) assert.deepEqual(data, was.get(name), `${name} kept byte for byte`);
      else if (name !== "gpkg-1") assert.notDeepEqual(data, was.get(name), `${name} made anew`);
    }
    const onlyNew = join(tmp, "only-new");
    await trustKey(onlyNew, newKey.pub, newKey.fpr);
    const opened = await openGpkg(after, onlyNew);
    assert.deepEqual(opened.metadata, (await openGpkg(before, null)).metadata);
    await assert.rejects(openGpkg(before, onlyNew), /verification failed/, "the old signature is not the new key's");
  });

  test("emaint binhost lists the re-signed package as stale; --fix re-indexes it silently, and only it", async () => {
    const check = await run("emaint", builder, ["binhost"]);
    assert.equal(check.code, 1);
    const cpv = field(parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages.find((s) => field(s, "PATH") === paths[0])!, "CPV")!;
    assert.equal(check.out, `'${cpv}' is not in Packages\n`);
    const untouched = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages.find((s) => field(s, "PATH") === paths[1])!;
    const fix = await run("emaint", builder, ["binhost", "--fix"]);
    assert.deepEqual([fix.code, fix.out, fix.err], [0, "", ""]);
    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
    const entry = index.packages.find((s) => field(s, "PATH") === paths[0])!;
    const data = await readFile(join(pkgdir, paths[0]!));
    assert.equal(field(entry, "MD5"), createHash("md5").update(data).digest("hex"));
    assert.equal(field(entry, "SHA1"), createHash("sha1").update(data).digest("hex"));
    assert.equal(field(entry, "SIZE"), String(data.length));
    assert.equal(field(entry, "MTIME"), String(Math.floor((await stat(join(pkgdir, paths[0]!))).mtimeMs / 1000)));
    assert.deepEqual(index.packages.find((s) => field(s, "PATH") === paths[1]), untouched);
    assert.equal(index.packages.length, paths.length);
    assert.equal((await run("emaint", builder, ["binhost"])).code, 0);
  });

  test("a package file that is gone: emaint binhost --check says so as Portage does; --fix drops its entry", async () => {
    const gone = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8")).packages.find((s) => field(s, "PATH") === paths[2])!;
    await rm(join(pkgdir, paths[2]!));
    const check = await run("emaint", builder, ["binhost", "--check"]);
    const expected = noFixtures ? `'${field(gone, "CPV")}' is not in the repository\n` : (await readFile(fixture("portage/emaint-binhost/01-emaint-binhost-check-after-delete.stdout"), "utf8")).replace("app-misc/oldtool-1.0", field(gone, "CPV")!);
    assert.deepEqual([check.code, check.out, check.err], [1, expected, ""]);
    const fix = await run("emaint", builder, ["binhost", "--fix"]);
    assert.deepEqual([fix.code, fix.out, fix.err], [0, "", ""]);
    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
    assert.equal(index.packages.some((s) => field(s, "PATH") === paths[2]), false);
    assert.equal(field(index.header, "PACKAGES"), String(index.packages.length));
  });

  test("a package whose signature does not verify is refused and left as it was", async () => {
    const file = join(pkgdir, paths[1]!);
    const data = await readFile(file);
    const at = data.indexOf(Buffer.from("image.tar.zst")) + 512 + 40;
    data[at] = data[at]! ^ 1;
    await writeFile(file, data);
    const r = await run("gpkg-sign", builder, [`/var/cache/binpkgs/${paths[1]}`], signWith(newKey.fpr));
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^ \\* .*: /var/cache/binpkgs/${paths[1]}\n$`));
    assert.deepEqual(await readFile(file), data);
  });

  test("a missing file and a file that is no package are errors, not crashes", async () => {
    const missing = await run("gpkg-sign", builder, ["/var/cache/binpkgs/no/such-1.gpkg.tar"], signWith(newKey.fpr));
    assert.deepEqual([missing.code, missing.err], [1, " * File not found: /var/cache/binpkgs/no/such-1.gpkg.tar\n"]);
    await writeFile(join(pkgdir, "junk.gpkg.tar"), "not a tar");
    const junk = await run("gpkg-sign", builder, ["/var/cache/binpkgs/junk.gpkg.tar"], signWith(newKey.fpr));
    assert.deepEqual([junk.code, junk.err], [1, " * Invalid binary package format: /var/cache/binpkgs/junk.gpkg.tar\n"]);
    const usage = await run("gpkg-sign", builder, []);
    assert.equal(usage.code, 2);
  });
});
