// Command fan-out at fleet scale, on the production path: the coordinator's CommandSender signs a
// command for each of 10,000 nodes and publishes them into BINFLEET_COMMANDS; each node (the
// agent's own code, in worker threads: fanout-nodes.ts) gets its command, verifies and records it
// and publishes its outcome on BINFLEET_PROGRESS; the figure is the time from the first send until
// the coordinator's progress consumer has every outcome. Baseline: raw core NATS to the same nodes
// and back. Once, the design it replaced: a durable consumer per node.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Worker } from "node:worker_threads";
import { fromBinary } from "@bufbuild/protobuf";
import { busInbox, connectBus, consumers, ensureDurable, livePull, streams, subjects } from "@binfleet/bus";
import { CommandSender, type NodeCommand, loadOrCreateSigningKey } from "@binfleet/coordinator/internal";
import { createLogger, serialLock } from "@binfleet/daemon";
import { startNatsServer } from "@binfleet/nats-server";
import { ProgressEventSchema } from "@binfleet/shared/wire";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { RAW_ACKS, type NodesMessage, type NodesSpec, rawSubject } from "./fanout-nodes.js";
import { type Figure, type FigureGroup, figure, median, stopwatch } from "./measure.js";

const NODES = 10_000;
const CONNECTIONS_PER_WORKER = 8;
const ROUNDS = 3;

const round = (xs: readonly number[]): string => xs.map((x) => Math.round(x)).join(", ");

interface Wave {
  readonly ms: number;
  readonly storedMs: number;
  readonly cpuMs: number;
}

/** The nodes, a bus, the coordinator's sender and its progress intake. */
interface Fleet {
  readonly nodes: readonly string[];
  readonly workers: number;
  /** How long making the nodes' durable consumers took (durable design only). */
  readonly consumersMs: number;
  /**
   * Sends a command to every node; resolves with ms until every outcome is in, until the stream
   * confirmed every command, and the CPU ms this process (coordinator and nodes) spent meanwhile.
   */
  wave(): Promise<Wave>;
  /** Raw core NATS to every node's subscription and back, in ms. */
  raw(): Promise<number>;
  stop(): Promise<void>;
}

async function startFleet(design: NodesSpec["design"]): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-fanout-"));
  // Each node's state file on tmpfs when there is one: 10,000 nodes' disks are not one disk.
  const stateDir = await mkdtemp(join("/dev/shm", "binfleet-bench-nodes-")).catch(() => mkdtemp(join(dir, "nodes-")));
  const server = await startNatsServer({ dir: join(dir, "nats") });
  // Connected as the coordinator connects.
  const nc = await connectBus({ servers: [server.url], name: "bench coordinator", waitOnFirstConnect: false, log: createLogger({ name: "bench", level: "warn", destination: new PassThrough() }) });
  const workers: Worker[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.terminate()));
    await nc.close();
    await server.dispose();
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of [streams.commands, streams.progress]) await jsm.streams.add({ ...s, subjects: [...s.subjects] });
    const nodes = Array.from({ length: NODES }, (_, i) => `node-${String(i).padStart(5, "0")}`);
    let consumersMs = 0;
    if (design === "durable") {
      const t = performance.now();
      for (let i = 0; i < nodes.length; i += 100) {
        await Promise.all(nodes.slice(i, i + 100).map((node) => jsm.consumers.add(streams.commands.name, { durable_name: consumers.legacyCommand(node), filter_subject: subjects.command(node), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All })));
      }
      consumersMs = performance.now() - t;
    }
    const log = createLogger({ name: "bench", level: "warn", destination: new PassThrough() });
    const key = await loadOrCreateSigningKey(join(dir, "coordinator"));
    const sender = new CommandSender({ nc, inbox: busInbox({}) }, key, join(dir, "coordinator"), serialLock(), log);

    // The coordinator's progress intake: its durable consumer, every finished event counted.
    await ensureDurable(jsm, streams.progress.name, { durable_name: consumers.progress, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const progress = await (await jetstream(nc).consumers.get(streams.progress.name, consumers.progress)).consume(livePull);
    let awaited = new Set<string>();
    let allIn: () => void = () => undefined;
    void (async () => {
      for await (const m of progress) {
        const ev = fromBinary(ProgressEventSchema, m.data);
        m.ack();
        if (ev.event.case === "finished" && awaited.delete(ev.commandId) && awaited.size === 0) allIn();
      }
    })();

    const count = Math.min(availableParallelism(), 4);
    for (let w = 0; w < count; w++) {
      const spec: NodesSpec = { url: server.url, nodes: nodes.filter((_, i) => i % count === w), connections: CONNECTIONS_PER_WORKER, keyId: key.keyId, publicKeyBase64: key.publicKeyBase64, stateDir, design };
      const worker = new Worker(new URL("./fanout-nodes.js", import.meta.url), { workerData: spec });
      workers.push(worker);
      await new Promise<void>((resolve, reject) => worker.once("message", () => resolve()).once("error", reject));
    }
    return {
      nodes,
      workers: count,
      consumersMs,
      async wave() {
        const commands: NodeCommand[] = nodes.map((node) => ({ node, id: randomUUID(), action: { case: "update", value: { atoms: [], getbinpkgonly: true, pretend: false, hold: [], rolloutId: "bench" } } }));
        awaited = new Set(commands.map((c) => c.id!));
        const outcomes = new Promise<void>((r) => (allIn = r));
        const clock = stopwatch();
        await sender.sendMany(commands);
        const storedMs = clock().ms;
        await outcomes;
        return { ...clock(), storedMs };
      },
      async raw() {
        let acks = 0;
        let done: () => void = () => undefined;
        const all = new Promise<void>((r) => (done = r));
        const sub = nc.subscribe(RAW_ACKS, { callback: () => void (++acks === nodes.length && done()) });
        await nc.flush();
        const start = performance.now();
        for (const node of nodes) nc.publish(rawSubject(node), node);
        await all;
        const ms = performance.now() - start;
        sub.unsubscribe();
        return ms;
      },
      async stop() {
        const warnings: string[] = [];
        for (const w of workers) {
          const stopped = new Promise<NodesMessage>((r) => w.once("message", r));
          w.postMessage("stop");
          const m = await stopped;
          if (m.type === "stopped") warnings.push(...m.warnings);
        }
        await progress.close();
        await cleanup();
        if (warnings.length > 0) throw new Error(`simulated nodes logged warnings: the measured path is broken:\n${warnings.join("\n")}`);
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** `fanout.durable`'s baseline is `fanout`: they run together. */
export const commandFanout: FigureGroup = { ids: ["fanout", "fanout.durable"], figures: commandFanoutFigures };

async function commandFanoutFigures(): Promise<Figure[]> {
  const live = await startFleet("live");
  const waves: Wave[] = [];
  const raws: number[] = [];
  try {
    // One round first: JIT and every node's state file made.
    await live.wave();
    await live.raw();
    for (let r = 0; r < ROUNDS; r++) {
      raws.push(await live.raw());
      waves.push(await live.wave());
    }
  } finally {
    await live.stop();
  }
  const ms = median(waves.map((w) => w.ms));
  const durable = await startFleet("durable");
  let old: Wave;
  try {
    old = await durable.wave();
  } finally {
    await durable.stop();
  }
  const setup = `${NODES.toLocaleString("en")} nodes in ${live.workers} worker threads × ${CONNECTIONS_PER_WORKER} connections`;
  return [
    figure(
      "fanout",
      ms,
      "ms",
      median(raws),
      `${setup}: CommandSender.sendMany (one batch signature, core publishes into BINFLEET_COMMANDS, acknowledgements in bulk; all stored after ${round(waves.map((w) => w.storedMs))} ms), each node's live subscription with catch-up, CommandGate verification and state file, outcome by ProgressPublisher, until the coordinator's progress consumer has all ${NODES.toLocaleString("en")}; rounds ${round(waves.map((w) => w.ms))} ms, median; CPU of coordinator and simulated nodes ${round(waves.map((w) => w.cpuMs))} ms a round (the nodes' verifications, records and outcomes: in a fleet, each node's own); baseline: raw core NATS to the same subscriptions and back (rounds ${round(raws)} ms); goal < 1,000 ms`,
    ),
    figure(
      "fanout.durable",
      old.ms,
      "ms",
      ms,
      `the design it replaced, once: the same wave delivered through a durable consumer per node (pull, one message at a time, acked; ${Math.round(durable.consumersMs).toLocaleString("en")} ms to make the ${NODES.toLocaleString("en")} consumers), all stored after ${Math.round(old.storedMs)} ms, CPU ${Math.round(old.cpuMs)} ms; baseline: fanout above`,
    ),
  ];
}
