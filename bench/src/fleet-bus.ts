// The bus at fleet scale: report ingest (command fan-out is command-fanout.ts).
import { streams, subjects } from "@binfleet/bus";
import { tmpdir } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { Coordinator, coordinatorConfig } from "@binfleet/coordinator/internal";
import { startNatsServer } from "@binfleet/nats-server";
import { createLogger } from "@binfleet/daemon";
import { reportPlatform } from "@binfleet/shared/testing";
import { AgentReportSchema, MergeKind } from "@binfleet/shared/wire";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Figure, type FigureGroup, figure } from "./measure.js";

/** A report as a node with 1,500 installed packages and ~120 pending updates sends it. */
function realisticReport(node: string): Uint8Array {
  const flags = ["acl", "ipv6", "ssl", "zstd", "nls", "pam", "readline", "udev", "X", "gtk"];
  return toBinary(
    AgentReportSchema,
    create(AgentReportSchema, {
      nodeId: node,
      generatedAtUnixMs: BigInt(Date.now()),
      platform: reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: "-O2 -pipe -march=x86-64-v3", profile: "default/linux/amd64/23.0" }),
      snapshots: [{ repo: "gentoo", id: "Wed, 25 Nov 2026 00:45:01 +0000" }],
      world: Array.from({ length: 120 }, (_, i) => `cat-${i % 40}/pkg${i}`),
      installed: Array.from({ length: 1500 }, (_, i) => ({
        cpv: `cat-${i % 160}/pkg${i}-${1 + (i % 9)}.${i % 31}`,
        slot: "0",
        repo: "gentoo",
        use: flags.filter((_, k) => (i + k) % 3 === 0),
        iuse: flags.map((f, k) => (k % 4 === 0 ? `+${f}` : f)),
        buildTime: 1_790_000_000n,
      })),
      plan: Array.from({ length: 120 }, (_, i) => ({ kind: i % 5 === 0 ? MergeKind.BINARY : MergeKind.EBUILD, cpv: `cat-${i % 160}/pkg${i}-${2 + (i % 9)}.0`, use: flags.filter((_, k) => (i + k) % 2 === 0), useDisabled: flags.filter((_, k) => (i + k) % 2 === 1), flags: "U", downloadBytes: 4_000_000n })),
      contentHash: "0".repeat(64),
      agentVersion: "0.1.0",
    }),
  );
}

/** `ingest`'s baseline is `ingest.publish`: they run together. */
export const ingest: FigureGroup = { ids: ["ingest", "ingest.publish"], figures: ingestFigures };

async function ingestFigures(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-bus-"));
  const server = await startNatsServer({ dir: join(dir, "nats") });
  const out: Figure[] = [];
  try {
    // Ingest: 1,500-package reports published durably (as agents do) and taken in by a coordinator.
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ ...streams.reports, subjects: [...streams.reports.subjects] });
    const js = jetstream(nc);
    const REPORTS = 2_000;
    const reports = Array.from({ length: REPORTS }, (_, i) => realisticReport(`node-${i}`));
    const bytes = reports[0]!.length;
    let t = performance.now();
    for (let i = 0; i < REPORTS; i++) nc.publish(`bench.report.node-${i}`, reports[i]!);
    await nc.flush();
    const coreRate = (REPORTS * 1000) / (performance.now() - t);
    t = performance.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < REPORTS; i++) {
      inflight.push(js.publish(subjects.report(`node-${i}`), reports[i]!, { msgID: `r-${i}` }));
      if (inflight.length >= 64) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const jsRate = (REPORTS * 1000) / (performance.now() - t);
    out.push(figure("ingest.publish", jsRate, "reports/s", coreRate, `${REPORTS.toLocaleString("en")} reports of 1,500 packages, ${Math.round(bytes / 1024)} KiB each, JetStream acked, 64 in flight; baseline: core NATS publish of the same bytes`));
    await nc.close();

    // The coordinator's side: validate, record, re-plan, for each of the same reports.
    const coordinator = await Coordinator.create(
      coordinatorConfig({ stateDir: join(dir, "coordinator"), nats: { urls: [server.url] }, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 } }),
      createLogger({ name: "bench", level: "error", destination: new PassThrough() }),
    );
    try {
      await coordinator.start();
      t = performance.now();
      for (let i = 0; i < REPORTS; i++) await coordinator.fleet.ingest(subjects.report(`node-${i}`), reports[i]!);
      const ingestRate = (REPORTS * 1000) / (performance.now() - t);
      out.push(figure("ingest", ingestRate, "reports/s", jsRate, "the coordinator taking in each of the same reports: validate + record + incremental re-plan per report; baseline: the JetStream publish rate above"));
    } finally {
      await coordinator.shutdown();
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
