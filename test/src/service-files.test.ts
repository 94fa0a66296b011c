// The service files of the three daemons as OpenRC and systemd read them: the init scripts and
// their conf.d files are valid sh, the units pass `systemd-analyze verify` (where systemd is
// installed) in a root that has the programs they start and the man pages they name.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AGENT_DOC } from "@binfleet/agent";
import { COORDINATOR_DOC } from "@binfleet/coordinator";
import { BINFLEET_VERSION, renderMan } from "@binfleet/shared";
import { repoRoot } from "@binfleet/shared/testing";
import { execa } from "execa";

const INIT = join(repoRoot, "release/files/init");
const SERVICES = [
  { name: "binfleet-agent", program: "binfleet-agent", log: "agent.log" },
  { name: "binfleet-coordinator", program: "binfleet-coordinator", log: "coordinator.log" },
  { name: "binfleet-builder", program: "binfleet-coordinator", log: "builder.log" },
] as const;

const analyze = await execa("systemd-analyze", ["--version"], { reject: false });
const noSystemd = analyze.exitCode === 0 ? false : "systemd-analyze is not installed: the units' verify check is skipped";

describe("service files for binfleet-agent, binfleet-coordinator and binfleet-builder", () => {
  for (const s of SERVICES) {
    test(`${s.name}: the OpenRC init script and conf.d are valid sh; supervise-daemon, need net, logs in /var/log/binfleet`, async () => {
      for (const file of [join(INIT, "openrc/init.d", s.name), join(INIT, "openrc/conf.d", s.name)]) {
        const r = await execa("sh", ["-n", file], { reject: false });
        assert.equal(r.exitCode, 0, `sh -n ${file}: ${r.stderr}`);
      }
      const script = await readFile(join(INIT, "openrc/init.d", s.name), "utf8");
      assert.match(script, /^#!\/sbin\/openrc-run\n/);
      assert.match(script, /^supervisor="supervise-daemon"$/m);
      assert.match(script, new RegExp(`^command="/usr/bin/${s.program}"$`, "m"));
      assert.match(script, /^\s+need net$/m);
      assert.match(script, new RegExp(`^output_log="/var/log/binfleet/${s.log}"$`, "m"));
    });
  }

  test("binfleet-coordinator reloads on SIGHUP from both service managers; the others restart", async () => {
    const script = await readFile(join(INIT, "openrc/init.d/binfleet-coordinator"), "utf8");
    assert.match(script, /^extra_started_commands="reload"$/m);
    assert.match(script, /^\s+supervise-daemon "\$\{RC_SVCNAME\}" --signal HUP$/m);
    assert.match(await readFile(join(INIT, "systemd/binfleet-coordinator.service"), "utf8"), /^ExecReload=kill -HUP \$MAINPID$/m);
    for (const name of ["binfleet-agent", "binfleet-builder"]) {
      assert.doesNotMatch(await readFile(join(INIT, "openrc/init.d", name), "utf8"), /reload/);
      assert.doesNotMatch(await readFile(join(INIT, "systemd", `${name}.service`), "utf8"), /ExecReload/);
    }
  });

  test("the logrotate files parse (logrotate -d) where logrotate is installed", async (t) => {
    if ((await execa("logrotate", ["--version"], { reject: false })).exitCode !== 0) return t.skip("logrotate is not installed");
    const dir = await mkdtemp(join(tmpdir(), "binfleet-logrotate-"));
    try {
      for (const name of ["binfleet", "binfleet-agent"]) {
        const r = await execa("logrotate", ["-d", "-s", join(dir, "state"), join(repoRoot, "release/files/etc/logrotate.d", name)], { reject: false });
        assert.equal(r.exitCode, 0, `${name}: ${r.stderr}`);
        assert.doesNotMatch(`${r.stdout}${r.stderr}`, /^error:/m, name);
      }
      // A typo is an error logrotate reports: the check above can fail.
      await writeFile(join(dir, "bad"), "/var/log/x.log {\n\tweekly\n\tcopytrunkate\n}\n");
      assert.notEqual((await execa("logrotate", ["-d", "-s", join(dir, "state"), join(dir, "bad")], { reject: false })).exitCode, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("sh -n catches a broken script (the check above can fail)", async () => {
    const r = await execa("sh", ["-n"], { input: "depend() {\n\tneed net\n", reject: false });
    assert.notEqual(r.exitCode, 0);
  });

  describe("systemd-analyze verify", { skip: noSystemd }, () => {
    let root: string;
    const verify = (units: readonly string[]) =>
      execa("systemd-analyze", ["verify", `--root=${root}`, ...units], { env: { MANPATH: join(root, "usr/share/man"), SYSTEMD_LOG_COLOR: "0" }, reject: false });

    before(async () => {
      root = await mkdtemp(join(tmpdir(), "binfleet-units-"));
      // verify resolves dependencies (sysinit.target, network-online.target) in the root: the host's units.
      const unitDir = join(root, "usr/lib/systemd/system");
      await mkdir(unitDir, { recursive: true });
      const hostUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((d) => existsSync(d));
      if (hostUnits !== undefined) await cp(hostUnits, unitDir, { recursive: true });
      for (const s of SERVICES) await cp(join(INIT, "systemd", `${s.name}.service`), join(unitDir, `${s.name}.service`));
      // ExecStart must name an executable: the programs' stand-ins; Documentation= must name man pages that exist.
      await mkdir(join(root, "usr/bin"), { recursive: true });
      // kill: the coordinator's ExecReload.
      for (const program of [...new Set(SERVICES.map((s) => s.program)), "kill"]) {
        await writeFile(join(root, "usr/bin", program), "#!/bin/sh\n");
        await chmod(join(root, "usr/bin", program), 0o755);
      }
      for (const doc of [AGENT_DOC, COORDINATOR_DOC]) {
        await mkdir(join(root, `usr/share/man/man${doc.section}`), { recursive: true });
        await writeFile(join(root, `usr/share/man/man${doc.section}`, `${doc.name}.${doc.section}`), renderMan(doc, BINFLEET_VERSION, "2026-12-04"));
      }
    });
    after(() => rm(root, { recursive: true, force: true }));

    test("the three units verify without a warning", async () => {
      const r = await verify(SERVICES.map((s) => `${s.name}.service`));
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stderr, "");
    });

    test("a unit with an unknown key or bad value is reported (the check above can fail)", async () => {
      const unit = await readFile(join(INIT, "systemd/binfleet-agent.service"), "utf8");
      await writeFile(join(root, "usr/lib/systemd/system/binfleet-broken.service"), unit.replace("Restart=on-failure", "Restart=sometimes\nRestartEverything=yes"));
      const r = await verify(["binfleet-broken.service"]);
      assert.match(r.stderr, /restart specifier/);
      assert.match(r.stderr, /Unknown key/);
    });
  });
});
