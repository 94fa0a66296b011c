// test: long 20 (seconds it took in a full npm test run: long files start first, longest first)
import { inboxPrefix, subjects } from "@binfleet/bus";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { type Coordinator, adminTokenFile } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { signCommand } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { pretend, sim, simEmerge, startQuietCoordinator } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

describe("enrollment: binfleet enroll on the binhost, binfleet-agent enroll on the node, and the node is in", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;

  let fleetMakeConf: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-enroll-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 7, lag: 0.05, out: join(tmp, "fleet") });
    fleetMakeConf = await readFile(join(fleet.nodes[0]!.root, "etc/portage/make.conf"), "utf8");
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!);
  });

  after(async () => {
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("the bundle sets up the node: agent config, its own binrepos.conf, the trusted binpkg key; the agent then reports", async () => {
    const node = fleet.nodes[0]!;
    const bundle = join(tmp, "bundle.json");
    const cli = await runProgram("binfleet", ["--server", c.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "enroll", node.name, "--out", bundle], { reject: false });
    assert.equal(cli.exitCode, 0, cli.stderr);
    // The node's local settings, as an admin (or the package) leaves them before enrolling.
    const configFile = join(tmp, "agent.json");
    await writeFile(configFile, JSON.stringify({ root: node.root, stateDir: join(tmp, "agent-state"), heartbeatSeconds: 5, portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: node.root, BINFLEET_SIM_SPEED: "0" } } }));
    const enrolled = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", configFile], { reject: false });
    assert.equal(enrolled.exitCode, 0, enrolled.stderr);
    const binrepos = await readFile(join(node.root, "etc/portage/binrepos.conf/binfleet.conf"), "utf8");
    assert.match(binrepos, new RegExp(`sync-uri = ${c.platforms.binhostUrl(node.platform).replace(/[.]/g, "\\.")}\\n`));
    const keys = await execa("gpg", ["--homedir", join(node.root, "etc/portage/gnupg"), "--batch", "--with-colons", "--list-keys"]);
    assert.ok(keys.stdout.includes(c.keyring.current(node.platform)!), "the binhost's signing key is in Portage's keyring");
    const config = JSON.parse(await readFile(configFile, "utf8"));
    assert.equal(config.nodeId, node.name);
    assert.equal(config.nats.user, node.name);
    assert.equal(config.root, node.root, "local settings kept");
    // Distfiles from the binhost first, the node's own mirrors after it; enrolling again does not repeat it.
    const again = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", configFile], { reject: false });
    assert.equal(again.exitCode, 0, again.stderr);
    const makeConf = await readFile(join(node.root, "etc/portage/make.conf"), "utf8");
    assert.equal(makeConf.split(`GENTOO_MIRRORS="${c.distfilesMirror()} \${GENTOO_MIRRORS}"`).length, 2, makeConf);
    assert.ok(makeConf.startsWith(fleetMakeConf), "the node's own settings stay in front");

    const agent = runProgram("binfleet-agent", ["run", "--config", configFile], { reject: false });
    try {
      await until("the enrolled node's report", async () => c.fleet.registry.get(node.name) ?? null, 60_000, 250);
    } finally {
      agent.kill("SIGTERM");
      await agent;
    }
  });

  test("the coordinator rotates its command key: the enrolled agent follows without re-enrolling, and refuses the retired key", async () => {
    const node = fleet.nodes[0]!;
    const agent = runProgram("binfleet-agent", ["run", "--config", join(tmp, "agent.json")], { reject: false, all: true });
    let output = "";
    agent.all?.on("data", (d: Buffer) => void (output += d.toString()));
    try {
      await until("the agent running", async () => (output.includes('"msg":"agent started"') ? true : null), 60_000, 100);
      const before = c.commands.signingKey;
      const cli = await runProgram("binfleet", ["--server", c.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "--json", "keys", "rotate"], { reject: false });
      assert.equal(cli.exitCode, 0, cli.stderr);
      const r = JSON.parse(cli.stdout) as { keyId: string; previousKeyId: string; nodesTold: string[] };
      assert.equal(r.previousKeyId, before.keyId);
      assert.notEqual(r.keyId, before.keyId);
      assert.deepEqual(r.nodesTold, [node.name]);
      assert.equal(c.commands.signingKey.keyId, r.keyId, "new enrollments get the new key");

      // A command signed with the new key is taken: the node reports again.
      const since = c.fleet.registry.get(node.name)!.receivedAt;
      await c.commands.send(node.name, { case: "report", value: {} });
      await until("a report asked for with the new key", async () => (c.fleet.registry.get(node.name)!.receivedAt > since ? true : null), 60_000, 250);
      const trusted = JSON.parse(await readFile(join(tmp, "agent-state/trusted-keys.json"), "utf8")) as { keys: Record<string, string> };
      assert.deepEqual(Object.keys(trusted.keys), [r.keyId], "the old key is retired on the node");

      // A command signed with the retired key (say, stolen from an old backup) is refused.
      const nc = await connect({ servers: c.natsUrl, user: c.busCredentials!.user, pass: c.busCredentials!.pass, inboxPrefix: inboxPrefix(c.busCredentials!.user) });
      try {
        const now = Date.now();
        const old = createPrivateKey(await readFile(join(tmp, "coordinator/keys/command-signing-ed25519.pem.previous"), "utf8"));
        const forged = signCommand({ id: "retired-key", nodeId: node.name, sequence: BigInt(now) * 10_000n, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 60_000), action: { case: "report", value: {} } }, old, before.keyId);
        await jetstream(nc).publish(subjects.command(node.name), forged);
      } finally {
        await nc.close();
      }
      await until("the retired key refused", async () => (/"reason":"unknown-key"[^\n]*"msg":"command refused"/.test(output) ? true : null), 30_000, 100);
    } finally {
      agent.kill("SIGTERM");
      await agent;
    }
  });

  test("a package the node still compiles downloads its sources from the binhost's DISTDIR", async () => {
    const node = fleet.nodes[0]!;
    const builder = fleet.platforms[0]!.builderRoot;
    const { plan } = await pretend(node.root);
    const compiled = plan.entries.find((e) => e.kind === "ebuild" && (e.sizeBytes ?? 0) > 0);
    assert.ok(compiled !== undefined, "the node has something to compile");
    const cpv = compiled.cpv!;
    // The nightly job's fetch on the builder fills the DISTDIR the binhost serves.
    assert.equal(await simEmerge(builder, ["--fetchonly", "--oneshot", `=${cpv}`]).then((r) => r.code), 0);
    const r = await simEmerge(node.root, ["--oneshot", `=${cpv}`]);
    assert.equal(r.code, 0, r.out);
    const fetched = [...r.out.matchAll(/>>> Downloading '([^']+)'/g)].map((m) => m[1]!);
    assert.ok(fetched.length > 0 && fetched.every((u) => u.startsWith(`${c.distfilesMirror()}/distfiles/`)), fetched.join(", "));
    for (const u of fetched) {
      const name = u.slice(u.lastIndexOf("/") + 1);
      assert.equal((await stat(join(node.root, "var/cache/distfiles", name))).size, (await stat(join(builder, "var/cache/distfiles", name))).size);
    }
    assert.doesNotMatch(r.out, /Downloading 'https:\/\/distfiles\.example\.invalid/, "nothing came from upstream");
  });

  test("on an external cluster the bundle has no password: the node's config supplies it, or enrollment is refused", async () => {
    const node = fleet.nodes[0]!;
    const bundle = join(tmp, "no-password.json");
    await writeFile(bundle, JSON.stringify({ ...JSON.parse(await readFile(join(tmp, "bundle.json"), "utf8")), natsPassword: "" }));
    const refused = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", join(tmp, "no-password-agent.json")], { reject: false });
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, new RegExp(`no bus password .*put ${node.name}'s password`));
    await assert.rejects(readFile(join(tmp, "no-password-agent.json")), "nothing written");
    // The admin put the password from the cluster's authorization in the node's config first.
    const configFile = join(tmp, "external-agent.json");
    const local = { root: node.root, stateDir: join(tmp, "agent-state-external"), portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: node.root, BINFLEET_SIM_SPEED: "0" } } };
    await writeFile(configFile, JSON.stringify({ ...local, nats: { urls: ["nats://old.invalid:4222"], user: node.name, pass: "from-the-admin" } }));
    const enrolled = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", configFile], { reject: false });
    assert.equal(enrolled.exitCode, 0, enrolled.stderr);
    const config = JSON.parse(await readFile(configFile, "utf8"));
    assert.deepEqual({ ...config.nats }, { urls: [c.natsUrl], user: node.name, pass: "from-the-admin" });
  });

  test("a damaged bundle is refused with a clear error and changes nothing", async () => {
    const bad = join(tmp, "bad.json");
    await writeFile(bad, '{"nodeId":"node-x","natsUrls":[]}');
    const r = await runProgram("binfleet-agent", ["enroll", "--bundle", bad, "--config", join(tmp, "untouched.json")], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /binfleet-agent: error: bundle has no bus credentials/);
    await assert.rejects(readFile(join(tmp, "untouched.json")));
    // A forged bundle must not smuggle settings into make.conf (here: turning signature checks off).
    const forged = join(tmp, "forged.json");
    const real = JSON.parse(await readFile(join(tmp, "bundle.json"), "utf8"));
    await writeFile(forged, JSON.stringify({ ...real, distfilesMirror: 'http://evil.invalid/"\nFEATURES="-binpkg-request-signature' }));
    const f = await runProgram("binfleet-agent", ["enroll", "--bundle", forged, "--config", join(tmp, "untouched.json")], { reject: false });
    assert.equal(f.exitCode, 2);
    assert.match(f.stderr, /invalid distfiles mirror/);
    assert.doesNotMatch(await readFile(join(fleet.nodes[0]!.root, "etc/portage/make.conf"), "utf8"), /binpkg-request-signature/);
  });
});
