// test: long 23 (seconds it took in a full npm test run: long files start first, longest first)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readlink, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { buildRootArgv } from "./build-root.js";
import { enterMachine, locatePortage, skipNote } from "./locate.js";
import { Machine } from "./machine.js";
import { type PreparedPortage, preparePortage } from "./prepare.js";

const skip = locatePortage() === null ? skipNote : false;
const hasBwrap = (): boolean => ["/usr/bin/bwrap", "/bin/bwrap"].some((p) => existsSync(p));

describe("a machine runs real Portage on its own state", { skip }, () => {
  let tmp: string;
  let portage: PreparedPortage;
  let machine: Machine;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-machine-"));
    portage = await preparePortage();
    machine = await Machine.create(join(tmp, "node"), { portage, world: ["app-misc/hello"], packageUse: ["dev-libs/libdemo ssl"] });
  });
  after(async () => {
    await machine?.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  test("Portage sees the machine's profile and configuration", async () => {
    const arch = await machine.run(["portageq", "envvar", "ARCH"]);
    assert.deepEqual(arch, { exitCode: 0, stdout: "amd64\n", stderr: "" });
    const info = await machine.run(["emerge", "--info"]);
    assert.equal(info.exitCode, 0, info.stderr);
    assert.match(info.stdout, /^Portage .*binfleet\/amd64/m);
    assert.match(info.stdout, /^ACCEPT_KEYWORDS="amd64"$/m);
    assert.match(info.stdout, /^ {4}location: \/var\/db\/repos\/gentoo$/m);
    assert.equal(await readlink(machine.path("/etc/portage/make.profile")), "/var/db/repos/gentoo/profiles/binfleet/amd64");
  });

  test("the argv prefix runs a command as an agent would, the caller's environment passed on but PATH fixed", async () => {
    const [file, ...prefix] = machine.argv("portageq");
    assert.deepEqual([file, ...prefix], [enterMachine, machine.dir, "portageq"]);
    const repo = await execa(file!, [...prefix, "get_repo_path", "/", "gentoo"], { reject: false });
    assert.equal(repo.stdout, "/var/db/repos/gentoo");
    const env = await machine.run(["sh", "-c", 'echo "$BINFLEET_X|$LC_ALL|$NOCOLOR|$(pwd)|$PATH"'], { env: { BINFLEET_X: "kept", PATH: "/nowhere", LC_ALL: "C" } });
    assert.equal(env.stdout, "kept|C.UTF-8|true|/|/usr/lib/binfleet-portage/src/bin:/usr/lib/binfleet-portage/tools:/usr/sbin:/usr/bin:/sbin:/bin\n");
  });

  test("a package merged on the machine lands in the machine, not on the host", async () => {
    const r = await machine.run(["emerge", "--color=n", "--oneshot", "=app-misc/hello-1.0"]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^>>> Completed \(1 of 1\) app-misc\/hello-1\.0::gentoo$/m);
    assert.ok(existsSync(machine.path("/usr/bin/hello")));
    assert.equal(await machine.readFile("/var/db/pkg/app-misc/hello-1.0/SLOT"), "0\n");
    assert.equal(existsSync("/usr/bin/hello"), false, "host /usr untouched");
    assert.equal(existsSync("/usr/share/hello"), false, "host /usr untouched");
    assert.equal(existsSync("/var/db/pkg/app-misc/hello-1.0"), false, "host /var untouched");
    const run = await machine.run(["hello"]);
    assert.equal(run.stdout, "hello-1.0\n");
  });

  test("a clone carries the whole state and then goes its own way", async () => {
    const clone = await machine.clone(join(tmp, "clone"));
    await clone.removeFile("/var/lib/portage/world");
    assert.equal(await machine.readFile("/var/lib/portage/world"), "app-misc/hello\n");
    assert.equal(await clone.readFile("/etc/portage/package.use/binfleet"), "dev-libs/libdemo ssl\n");
    const r = await clone.run(["portageq", "envvar", "ARCH"]);
    assert.equal(r.stdout, "amd64\n");
  });

  test("enter-machine refuses a directory that is not a machine", async () => {
    const notMachine = join(tmp, "empty");
    await mkdir(notMachine);
    const r = await execa(enterMachine, [notMachine, "true"], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /does not point at a prepared Portage/);
  });

  test("dispose stops the gpg-agent a command started for a home inside the machine", async () => {
    await machine.run(["mkdir", "-m", "700", "-p", "/etc/portage/gnupg"]);
    const started = await machine.run(["gpg-connect-agent", "--homedir", "/etc/portage/gnupg", "/bye"]);
    assert.equal(started.exitCode, 0, started.stderr);
    const home = machine.path("/etc/portage/gnupg");
    const alive = await execa("gpg-connect-agent", ["--no-autostart", "--homedir", home, "/bye"], { reject: false });
    assert.equal(alive.exitCode, 0, "the agent runs before dispose");
    await machine.dispose();
    const gone = await execa("gpg-connect-agent", ["--no-autostart", "--homedir", home, "/bye"], { reject: false, all: true });
    assert.match(gone.all, /no gpg-agent running/);
  });

  test("commands on the machine carry its name in BINFLEET_MACHINE (dispose finds their gpg-agents by it)", async () => {
    const r = await machine.run(["sh", "-c", 'echo "$BINFLEET_MACHINE"']);
    assert.equal(r.stdout, `${await realpath(machine.dir)}\n`);
  });

  test("bwrap runs Portage with the machine as its build root", { skip: hasBwrap() ? false : "bwrap not installed (apt-get install bubblewrap)" }, async () => {
    const argv = buildRootArgv(machine, ["sh", "-c", "portageq envvar ARCH && touch /etc/portage/from-bwrap && ls /var/db/repos/gentoo/profiles/repo_name"]);
    const r = await execa(argv[0]!, argv.slice(1), { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "amd64\n/var/db/repos/gentoo/profiles/repo_name");
    assert.ok(existsSync(machine.path("/etc/portage/from-bwrap")));
    assert.equal(existsSync("/etc/portage/from-bwrap"), false, "host /etc untouched");
    assert.equal((await readFile(machine.path("/etc/passwd"), "utf8")).includes("portage:x:250:250"), true);
  });
});
