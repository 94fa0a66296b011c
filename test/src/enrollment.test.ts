import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { type Coordinator, adminTokenFile } from "@binfleet/coordinator";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { until } from "@binfleet/shared/testing";
import { startQuietCoordinator, binOf, sim } from "./fleet-harness.js";


describe("enrollment: binfleet enroll on the binhost, binfleet-agent enroll on the node, and the node is in", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-enroll-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 7, out: join(tmp, "fleet") });
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!);
  });

  after(async () => {
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("the bundle sets up the node: agent config, its own binrepos.conf, the trusted binpkg key; the agent then reports", async () => {
    const node = fleet.nodes[0]!;
    const bundle = join(tmp, "bundle.json");
    const cli = await execa(process.execPath, [binOf("@binfleet/coordinator", "binfleet.js"), "--server", c.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "enroll", node.name, "--out", bundle], { reject: false });
    assert.equal(cli.exitCode, 0, cli.stderr);
    // The node's local settings, as an admin (or the package) leaves them before enrolling.
    const configFile = join(tmp, "agent.json");
    await writeFile(configFile, JSON.stringify({ root: node.root, stateDir: join(tmp, "agent-state"), heartbeatSeconds: 5, portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: node.root, BINFLEET_SIM_SPEED: "0" } } }));
    const enrolled = await execa(process.execPath, [binOf("@binfleet/agent", "binfleet-agent.js"), "enroll", "--bundle", bundle, "--config", configFile], { reject: false });
    assert.equal(enrolled.exitCode, 0, enrolled.stderr);
    const binrepos = await readFile(join(node.root, "etc/portage/binrepos.conf/binfleet.conf"), "utf8");
    assert.match(binrepos, new RegExp(`sync-uri = ${c.binhostUrl(node.platform).replace(/[.]/g, "\\.")}\\n`));
    const keys = await execa("gpg", ["--homedir", join(node.root, "etc/portage/gnupg"), "--batch", "--with-colons", "--list-keys"]);
    assert.ok(keys.stdout.includes(c.binpkgKeys.get(node.platform)!.fingerprint), "the binhost's signing key is in Portage's keyring");
    const config = JSON.parse(await readFile(configFile, "utf8"));
    assert.equal(config.nodeId, node.name);
    assert.equal(config.nats.user, node.name);
    assert.equal(config.root, node.root, "local settings kept");

    const agent = execa(process.execPath, [binOf("@binfleet/agent", "binfleet-agent.js"), "run", "--config", configFile], { reject: false });
    try {
      await until("the enrolled node's report", async () => c.registry.get(node.name) ?? null, 60_000, 250);
    } finally {
      agent.kill("SIGTERM");
      await agent;
    }
  });

  test("a damaged bundle is refused with a clear error and changes nothing", async () => {
    const bad = join(tmp, "bad.json");
    await writeFile(bad, '{"nodeId":"node-x","natsUrls":[]}');
    const r = await execa(process.execPath, [binOf("@binfleet/agent", "binfleet-agent.js"), "enroll", "--bundle", bad, "--config", join(tmp, "untouched.json")], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /binfleet-agent: error: bundle has no bus credentials/);
    await assert.rejects(readFile(join(tmp, "untouched.json")));
  });
});
