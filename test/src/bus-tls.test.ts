import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { type Coordinator, adminTokenFile } from "@binfleet/coordinator/internal";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { until } from "@binfleet/shared/testing";
import { connect } from "@nats-io/transport-node";
import { sim, startQuietCoordinator } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

/** A self-signed certificate for 127.0.0.1, as an admin would make one for the binhost. */
async function certificate(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await execa("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert]);
  return { cert, key };
}

describe("TLS on the bus: the embedded nats-server speaks TLS only, enrollment hands nodes its CA", () => {
  let tmp: string;
  let fleet: FleetManifest;
  let c: Coordinator;
  let other: { cert: string; key: string };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-bus-tls-"));
    fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 8, out: join(tmp, "fleet") });
    const tls = await certificate(tmp, "bus");
    other = await certificate(tmp, "other");
    c = await startQuietCoordinator(join(tmp, "coordinator"), fleet.platforms[0]!, { nats: { urls: [], embeddedPort: 0, tls } });
  });

  after(async () => {
    await c?.shutdown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("an enrolled agent connects over TLS and reports; plain and wrongly verified connections are refused", async () => {
    const node = fleet.nodes[0]!;
    const bundle = join(tmp, "bundle.json");
    const cli = await runProgram("binfleet", ["--server", c.apiAddress, "--token-file", adminTokenFile(join(tmp, "coordinator")), "enroll", node.name, "--out", bundle], { reject: false });
    assert.equal(cli.exitCode, 0, cli.stderr);
    assert.match(JSON.parse(await readFile(bundle, "utf8")).natsCaPem, /^-----BEGIN CERTIFICATE-----/);
    const configFile = join(tmp, "etc-binfleet/agent.json");
    await execa("mkdir", ["-p", join(tmp, "etc-binfleet")]);
    await writeFile(configFile, JSON.stringify({ root: node.root, stateDir: join(tmp, "agent-state"), heartbeatSeconds: 5, portage: { emerge: sim("emerge"), portageq: sim("portageq"), env: { BINFLEET_SIM_ROOT: node.root, BINFLEET_SIM_SPEED: "0" } } }));
    const enrolled = await runProgram("binfleet-agent", ["enroll", "--bundle", bundle, "--config", configFile], { reject: false });
    assert.equal(enrolled.exitCode, 0, enrolled.stderr);
    const config = JSON.parse(await readFile(configFile, "utf8")) as { nats: { ca?: string; user: string; pass: string } };
    assert.equal(config.nats.ca, join(tmp, "etc-binfleet/nats-ca.pem"));

    const agent = runProgram("binfleet-agent", ["run", "--config", configFile], { reject: false });
    try {
      await until("the node's report over TLS", async () => c.fleet.registry.get(node.name) ?? null, 60_000, 250);
    } finally {
      agent.kill("SIGTERM");
      await agent;
    }
    const creds = { user: config.nats.user, pass: config.nats.pass };
    await assert.rejects(connect({ servers: c.natsUrl, ...creds, reconnect: false, timeout: 3000 }), "without the CA, the self-signed server is not trusted");
    await assert.rejects(connect({ servers: c.natsUrl, ...creds, reconnect: false, timeout: 3000, tls: { caFile: other.cert } }), "another CA does not verify it");
    const ok = await connect({ servers: c.natsUrl, ...creds, reconnect: false, timeout: 3000, tls: { caFile: config.nats.ca! } });
    await ok.close();
  });
});
