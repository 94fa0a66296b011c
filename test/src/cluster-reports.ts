import { streams, subjects } from "@binfleet/bus";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Coordinator, coordinatorConfig } from "@binfleet/coordinator/internal";
import { type NatsServer, startNatsCluster } from "@binfleet/nats-server";
import { type Logger } from "@binfleet/shared";
import { freePort, reportPlatform, until } from "@binfleet/shared/testing";
import { AgentReportSchema, MergeKind } from "@binfleet/shared/wire";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, connect } from "@nats-io/transport-node";

export interface ClusterKillResult {
  readonly agents: number;
  /** Reports JetStream holds once every agent's publish was acknowledged. */
  readonly stored: number;
  /** Nodes the coordinator registered from those reports. */
  readonly registered: number;
  /** Publishes that failed while the server was down and were sent again (same message id). */
  readonly retries: number;
  readonly killed: string;
}

/** A node's report as an agent sends it: a small world, one pending build. */
export const agentReport = (node: string, platform: { key: string } = reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu" })): Uint8Array =>
  toBinary(
    AgentReportSchema,
    create(AgentReportSchema, {
      nodeId: node,
      generatedAtUnixMs: BigInt(Date.now()),
      platform,
      installed: [{ cpv: "dev-libs/openssl-3.0.13", use: ["asm"], iuse: ["asm", "+zlib"] }],
      plan: [{ kind: MergeKind.EBUILD, cpv: "dev-libs/openssl-3.0.14", use: ["asm"], useDisabled: ["zlib"] }],
    }),
  );

/**
 * A 3-server JetStream cluster (every stream and bucket with 3 replicas), a coordinator joined to
 * it, and `agents` simulated agents spread over connections to all three servers. Each agent
 * publishes its report the way the agent's outbox does: with a message id from its content, again
 * and again until JetStream acknowledges it. Halfway through, one server is SIGKILLed; it is
 * restarted a moment later. Everything started here is stopped before it returns.
 */
export async function reportThroughClusterKill(o: { agents: number; dir: string; log: Logger; connections?: number }): Promise<ClusterKillResult> {
  const servers = await startNatsCluster({
    dir: join(o.dir, "cluster"),
    clientPorts: [await freePort(), await freePort(), await freePort()],
    routePorts: [await freePort(), await freePort(), await freePort()],
  });
  const conns: NatsConnection[] = [];
  let coordinator: Coordinator | null = null;
  try {
    const urls = servers.map((s) => s.url);
    // JetStream answers once the servers have elected a meta leader.
    const probe = await connect({ servers: urls });
    conns.push(probe);
    await until("the cluster's JetStream", () => jetstreamManager(probe, { timeout: 2000 }).then((m) => m.getAccountInfo()).catch(() => null), 30_000, 250);
    coordinator = await Coordinator.create(
      coordinatorConfig({ stateDir: join(o.dir, "coordinator"), nats: { urls, replicas: 3 }, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 } }),
      o.log,
    );
    await coordinator.start();
    const connections = o.connections ?? 30;
    for (let i = 0; i < connections; i++) {
      // Each connection prefers one server, as agents spread over a cluster's URLs.
      conns.push(await connect({ servers: [urls[i % 3]!, ...urls], noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 100, name: `agents-${i}` }));
    }
    let retries = 0;
    const publishUntilAcked = async (nc: NatsConnection, node: string): Promise<void> => {
      const js = jetstream(nc, { timeout: 3000 });
      const data = agentReport(node);
      const id = `${node}-${createHash("sha256").update(data).digest("hex").slice(0, 16)}`;
      for (;;) {
        try {
          await js.publish(subjects.report(node), data, { msgID: id });
          return;
        } catch {
          retries++;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const victim: NatsServer = servers[1]!;
    const half = Math.floor(o.agents / 2);
    const wave = async (from: number, to: number): Promise<void> => {
      const jobs: Promise<void>[] = [];
      for (let i = from; i < to; i++) jobs.push(publishUntilAcked(conns[1 + (i % connections)]!, `node-${String(i).padStart(4, "0")}`));
      await Promise.all(jobs);
    };
    const first = wave(0, half);
    const kill = victim.kill().then(() => new Promise((r) => setTimeout(r, 1500)));
    const second = kill.then(() => wave(half, o.agents));
    await Promise.all([first, second, kill.then(() => victim.restart())]);
    // Right after the restart the cluster may still be electing leaders: JetStream answers a moment later.
    const stored = await until("the reports stream's state", async () => {
      try {
        return (await (await jetstreamManager(probe, { timeout: 2000 })).streams.info(streams.reports.name)).state.messages;
      } catch {
        return null;
      }
    }, 60_000, 500);
    const c = coordinator;
    await until("the coordinator's view of every report", async () => (c.fleet.registry.all().length >= o.agents ? true : null), 60_000, 250).catch(() => null);
    return { agents: o.agents, stored, registered: c.fleet.registry.all().length, retries, killed: "n2" };
  } finally {
    await coordinator?.shutdown();
    for (const nc of conns.reverse()) await nc.close().catch(() => undefined);
    for (const s of servers) await s.dispose();
  }
}
