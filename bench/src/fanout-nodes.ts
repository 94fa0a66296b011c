// A worker thread of simulated nodes for the fan-out bench. Each node runs the agent's own command
// path: its command subject followed live with catch-up from the stream (or, for the design it
// replaced, its durable consumer), CommandGate's verification and replay state (a state file per
// node), and its outcome published with ProgressPublisher, as the agent answers a command that
// completes at once. Nodes share a few connections; in a fleet each has its own machine.
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { CommandGate, CommandState, ProgressPublisher } from "@binfleet/agent/internal";
import { connectBus, consumeUntilAborted, consumers, followSubject, requestCatchUp, streams, subjects } from "@binfleet/bus";
import { createLogger } from "@binfleet/daemon";
import { publicKeyFromBase64 } from "@binfleet/shared";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** What a worker is given. */
export interface NodesSpec {
  readonly url: string;
  readonly nodes: readonly string[];
  readonly connections: number;
  readonly keyId: string;
  readonly publicKeyBase64: string;
  readonly stateDir: string;
  /** live: the agent's design; durable: a durable consumer per node, as before. */
  readonly design: "live" | "durable";
}

/** Messages a worker posts: ready once every node follows its subject; its warnings when stopped. */
export type NodesMessage = { readonly type: "ready" } | { readonly type: "stopped"; readonly warnings: string[] };

/** Where each node's raw-baseline message goes, and where its answer to it. */
export const rawSubject = (node: string): string => `bench.raw.${node}`;
export const RAW_ACKS = "bench.raw-acks";

async function run(spec: NodesSpec, port: NonNullable<typeof parentPort>): Promise<void> {
  // Anything a node logs at warn or above means the measured path is broken: reported, not hidden.
  const warnings: string[] = [];
  const sink = new PassThrough();
  sink.on("data", (d: Buffer) => void warnings.push(...d.toString().split("\n").filter((l) => l !== "").slice(0, 10 - warnings.length)));
  const log = createLogger({ name: "bench-node", level: "warn", destination: sink });
  const keys = { keys: new Map([[spec.keyId, publicKeyFromBase64(spec.publicKeyBase64)]]) };
  const conns: NatsConnection[] = [];
  // Connected as the agent connects (several nodes to a connection here).
  for (let c = 0; c < spec.connections; c++) conns.push(await connectBus({ servers: [spec.url], name: `bench nodes ${c}`, waitOnFirstConnect: false, log }));
  const jss = conns.map((nc) => jetstream(nc, { timeout: 10_000 }));
  const jsms = await Promise.all(conns.map((nc) => jetstreamManager(nc, { timeout: 10_000 })));
  // One per node, as each agent has its own: thousands of listeners on one signal cost its every addition a scan.
  const stops: AbortController[] = [];
  const loops: Promise<void>[] = [];
  let caughtUp = 0;
  let ready: () => void = () => undefined;
  const allCaughtUp = new Promise<void>((r) => (ready = r));
  await Promise.all(
    spec.nodes.map(async (node, i) => {
      const c = i % conns.length;
      const [nc, js, jsm] = [conns[c]!, jss[c]!, jsms[c]!];
      const ac = new AbortController();
      stops.push(ac);
      const gate = new CommandGate({ nodeId: node, maxBytes: 64 * 1024, keys, state: await CommandState.load(join(spec.stateDir, node)), log });
      const progress = new ProgressPublisher(js, node, log);
      const handle = async (data: Uint8Array): Promise<void> => {
        const cmd = gate.admit(data);
        if (cmd === null) return;
        await gate.accept(cmd);
        await progress.succeeded(cmd.id);
      };
      nc.subscribe(rawSubject(node), { callback: () => nc.publish(RAW_ACKS, node) });
      if (spec.design === "live") {
        let first = true;
        const onCaughtUp = (): void => {
          if (first && ++caughtUp === spec.nodes.length) ready();
          first = false;
        };
        loops.push(followSubject({ nc, js, jsm, stream: streams.commands.name, subject: subjects.command(node), consumer: consumers.commandCatchUp(node), openCatchUp: (from) => requestCatchUp(nc, node, from), signal: ac.signal, log, what: "commands", handle, handled: (d) => gate.taken(d), onCaughtUp }));
      } else {
        const consumer = await js.consumers.get(streams.commands.name, consumers.legacyCommand(node));
        loops.push(
          consumeUntilAborted({
            signal: ac.signal,
            log,
            what: "commands",
            open: () => consumer.consume({ max_messages: 1 }),
            handle: async (m) => {
              await handle(m.data);
              m.ack();
            },
          }),
        );
        if (++caughtUp === spec.nodes.length) ready();
      }
    }),
  );
  await allCaughtUp;
  for (const nc of conns) await nc.flush();
  port.postMessage({ type: "ready" } satisfies NodesMessage);
  port.once("message", () => {
    for (const ac of stops) ac.abort();
    void (async () => {
      await Promise.all(loops);
      // Before closing: the connections' own farewells are no news.
      const found = [...warnings];
      for (const nc of conns) await nc.close();
      port.postMessage({ type: "stopped", warnings: found } satisfies NodesMessage);
    })();
  });
}

if (parentPort !== null) await run(workerData as NodesSpec, parentPort);
