// test: long 61 (seconds it took in a full npm test run: long files start first, longest first)
// The overlay in gentoo/ passes real Portage: the release tarball `npm run dist` makes is fetched
// from DISTDIR against the Manifest makeRelease wrote, `ebuild … clean install` builds each
// package's image, and the installed programs run with plain node from the image, no node_modules.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { Machine, locatePortage, preparePortage, skipNote } from "@binfleet/real-portage";
import { type Release, makeRelease } from "@binfleet/release";
import { BINFLEET_VERSION } from "@binfleet/shared";
import { repoRoot } from "@binfleet/shared/testing";
import { execa } from "execa";

const OVERLAY = "/var/db/repos/binfleet";
const DISTDIR = "/var/cache/distfiles";
/** The tarball is in DISTDIR or nowhere: a failed check must not send Portage to the mirrors. */
const OFFLINE = { GENTOO_MIRRORS: "", FETCHCOMMAND: "false", RESUMECOMMAND: "false" };

/** Every file and symlink under a directory, relative to it. */
async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(`${relative(root, p)}/`, ...(await filesUnder(root, p)));
    else out.push(relative(root, p));
  }
  return out.sort();
}

describe("the gentoo/ overlay with real Portage", { skip: locatePortage() === null ? skipNote : false }, () => {
  let tmp: string;
  let release: Release;
  let machine: Machine;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-overlay-"));
    const portage = await preparePortage();
    // A copy of the overlay takes the Manifests for this tarball; the repository's own stay as they are.
    await cp(join(repoRoot, "gentoo"), join(tmp, "overlay"), { recursive: true });
    release = await makeRelease({ outDir: join(tmp, "release"), overlay: join(tmp, "overlay") });
    machine = await Machine.create(join(tmp, "machine"), {
      portage,
      files: { "/etc/portage/repos.conf/binfleet.conf": `[binfleet]\nlocation = ${OVERLAY}\nauto-sync = no\n` },
    });
    await cp(join(tmp, "overlay"), machine.path(OVERLAY), { recursive: true });
    await copyFile(release.tarball, machine.path(`${DISTDIR}/binfleet-${release.version}.tar.gz`));
    // What acct-user/binfleet makes on a real system: the coordinator's files are owned by it.
    await appendFile(machine.path("/etc/passwd"), "binfleet:x:251:251:binfleet:/var/lib/binfleet:/sbin/nologin\n");
    await appendFile(machine.path("/etc/group"), "binfleet:x:251:\n");
  });
  after(async () => {
    await machine?.dispose();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  /** `ebuild PKG clean install` on the machine; returns the image directory as the host sees it. */
  const install = async (pkg: string, env: Record<string, string> = {}): Promise<string> => {
    const name = pkg.split("/")[1]!;
    const ebuild = `${OVERLAY}/${pkg}/${name}-${release.version}.ebuild`;
    // Seconds on a quiet machine; the default 5 minutes ran out on one shared by several test runs.
    const r = await machine.run(["ebuild", ebuild, "clean", "install"], { env: { ...OFFLINE, DISTDIR, ...env }, timeoutMs: 20 * 60_000 });
    assert.equal(r.exitCode, 0, `ebuild ${pkg} clean install failed:\n${r.stdout}\n${r.stderr}`);
    return machine.path(`/var/tmp/portage/${pkg}-${release.version}/image`);
  };

  /** Runs an installed program as an admin would: plain node, a clean environment, from a directory with no node_modules. */
  const runInstalled = (image: string, program: string, args: readonly string[]) =>
    execa(process.execPath, [join(image, "usr/bin", program), ...args], { cwd: tmp, env: { PATH: "/usr/bin:/bin" }, extendEnv: false, reject: false });

  test("the release tarball matches the version and holds no node_modules", async () => {
    assert.equal(release.version, BINFLEET_VERSION);
    const files = await filesUnder(release.tree);
    assert.deepEqual(files.filter((f) => f.includes("node_modules")), []);
    assert.ok(files.includes("LICENSE"));
  });

  test("binfleet-agent installs its bundle, OpenRC and systemd files and example config; --version runs from the image", async () => {
    const image = await install("app-admin/binfleet-agent");
    const files = await filesUnder(image);
    for (const f of [
      "usr/bin/binfleet-agent",
      "usr/libexec/binfleet/binfleet-agent.mjs",
      "etc/init.d/binfleet-agent",
      "etc/conf.d/binfleet-agent",
      "usr/lib/systemd/system/binfleet-agent.service",
      "etc/binfleet/agent.json.example",
      "etc/logrotate.d/binfleet-agent",
      "var/lib/binfleet/",
      "var/log/binfleet/",
    ]) {
      assert.ok(files.includes(f), `${f} is in the image: ${files.join(" ")}`);
    }
    assert.ok(files.some((f) => /^usr\/share\/man\/man8\/binfleet-agent\.8/.test(f)), "the man page is installed");
    assert.deepEqual(files.filter((f) => f.includes("node_modules")), [], "a bundle, not node_modules");
    const v = await runInstalled(image, "binfleet-agent", ["--version"]);
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(v.stdout, `binfleet-agent ${BINFLEET_VERSION}`);
  });

  test("binfleet with USE=coordinator installs the CLI, the coordinator, the builder's service files and completion", async () => {
    const image = await install("app-admin/binfleet", { USE: "coordinator" });
    const files = await filesUnder(image);
    for (const f of [
      "usr/bin/binfleet",
      "usr/bin/binfleet-coordinator",
      "usr/bin/binfleet-portage",
      "usr/libexec/binfleet/binfleet.mjs",
      "usr/libexec/binfleet/binfleet-coordinator.mjs",
      "usr/libexec/binfleet/binfleet-portage.mjs",
      "etc/init.d/binfleet-coordinator",
      "etc/conf.d/binfleet-coordinator",
      "etc/init.d/binfleet-builder",
      "etc/conf.d/binfleet-builder",
      "usr/lib/systemd/system/binfleet-coordinator.service",
      "usr/lib/systemd/system/binfleet-builder.service",
      "etc/binfleet/coordinator.json.example",
      "etc/binfleet/builder.json.example",
      "etc/logrotate.d/binfleet",
      "usr/share/bash-completion/completions/binfleet",
      "usr/share/zsh/site-functions/_binfleet",
    ]) {
      assert.ok(files.includes(f), `${f} is in the image: ${files.join(" ")}`);
    }
    for (const program of ["binfleet", "binfleet-coordinator"]) {
      const v = await runInstalled(image, program, ["--version"]);
      assert.equal(v.stdout, `${program} ${BINFLEET_VERSION}`, v.stderr);
    }
  });

  test("a tarball that does not match the Manifest stops the install", async () => {
    // Its own DISTDIR: Portage renames a distfile that fails its check out of the way.
    const distdir = "/var/cache/distfiles-tampered";
    // Same size, one byte changed: only the digests can tell.
    const bytes = await readFile(release.tarball);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    await mkdir(machine.path(distdir));
    await writeFile(machine.path(`${distdir}/binfleet-${release.version}.tar.gz`), bytes);
    const r = await machine.run(["ebuild", `${OVERLAY}/app-admin/binfleet-agent/binfleet-agent-${release.version}.ebuild`, "clean", "unpack"], {
      env: { ...OFFLINE, DISTDIR: distdir },
    });
    assert.notEqual(r.exitCode, 0);
    assert.match(`${r.stdout}${r.stderr}`, /Failed on (SHA512|BLAKE2B) verification/);
    assert.equal(existsSync(machine.path(`/var/tmp/portage/app-admin/binfleet-agent-${release.version}/work/binfleet-${release.version}`)), false, "nothing unpacked");
  });
});
