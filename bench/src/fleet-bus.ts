// The bus at fleet scale: report ingest (command fan-out is command-fanout.ts).
import { streams, subjects } from "@binfleet/bus";
import { tmpdir } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Coordinator, coordinatorConfig } from "@binfleet/coordinator/internal";
import { startNatsServer } from "@binfleet/nats-server";
import { createLogger } from "@binfleet/daemon";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Figure, type FigureGroup, figure } from "./measure.js";
import { realisticReport } from "./realistic-report.js";
import { compressReport } from "@binfleet/shared";

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
    const reports = Array.from({ length: REPORTS }, (_, i) => compressReport(realisticReport(`node-${i}`)));
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
    out.push(figure("ingest.publish", jsRate, "reports/s", coreRate, `${REPORTS.toLocaleString("en")} reports of 1,500 packages, ${Math.round(bytes / 1024)} KiB each (gzipped, as agents send them), JetStream acked, 64 in flight; baseline: core NATS publish of the same bytes`));
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
