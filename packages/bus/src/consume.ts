import type { Logger } from "@binfleet/shared";
import type { ConsumerConfig, ConsumerMessages, JetStreamManager, JsMsg } from "@nats-io/jetstream";

/**
 * Makes sure a durable consumer exists: looks it up and adds it when missing. Adding an existing
 * consumer with another configuration fails, so a consumer an admin changed is left as it is.
 */
export async function ensureDurable(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  await jsm.consumers.info(stream, config.durable_name).catch(() => jsm.consumers.add(stream, config));
}

/**
 * What the daemons' consume() calls pass: each pull expires after 5 s, with an idle heartbeat every
 * 2.5 s (nats.js defaults to 30 s and 15 s). A pull parked on a cluster server that died is noticed
 * after two missed heartbeats: at the defaults the coordinator took in no report for up to 30 s
 * after a server of its cluster went down (the cluster test, four runs: one waited 20 s for
 * reports stored long before, its file 34 s against 11-16 s); with these, at most ~5 s. The cost is
 * one pull request every 5 s per idle consumer.
 */
export const livePull = { expires: 5_000 } as const;

export interface ConsumeOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** For the log line when the consumer is unavailable. */
  readonly what: string;
  readonly open: () => Promise<ConsumerMessages>;
  /**
   * Handles one message. It owns the message's ack: a handler that throws has not acked, and the
   * loop logs the error with `what` and goes on with the next message (one bad message must not
   * stop a daemon's intake). The server redelivers it after its ack wait.
   */
  readonly handle: (m: JsMsg) => Promise<void>;
  /** How long to wait before reopening a consumer that went away (default 1 s). */
  readonly retryMs?: number;
}

/**
 * Consumes until `signal` aborts: opens the consumer, hands each message to `handle`, and reopens
 * after a pause when the stream or server goes away (a restarting cluster node, a consumer deleted
 * by an admin). Shutdown is prompt: it does not wait for an idle iterator or a pending open, only
 * for the message being handled.
 */
export async function consumeUntilAborted(o: ConsumeOptions): Promise<void> {
  let current: ConsumerMessages | null = null;
  const onAbort = (): void => void current?.close();
  o.signal.addEventListener("abort", onAbort, { once: true });
  // close() does not always end an iteration that has received nothing yet (an ordered consumer on an
  // empty stream): on abort stop waiting for the iterator, but let a message being handled finish.
  const aborted = new Promise<void>((r) => o.signal.addEventListener("abort", () => r(), { once: true }));
  try {
    while (!o.signal.aborted) {
      try {
        // Opening can wait on the server for as long as it likes: do not let it hold up a shutdown.
        const opening = o.open();
        await Promise.race([opening, aborted]);
        if (o.signal.aborted) {
          void opening.then((c) => c.close(), () => undefined);
          return;
        }
        current = await opening;
        let handling: Promise<void> = Promise.resolve();
        const messages = current;
        const iterate = (async () => {
          for await (const m of messages) {
            handling = o.handle(m).catch((err: unknown) => {
              o.log.error({ what: o.what, subject: m.subject, seq: m.seq, err }, "message handler failed");
            });
            await handling;
            if (o.signal.aborted) return;
          }
        })();
        await Promise.race([iterate, aborted]);
        if (o.signal.aborted) {
          iterate.catch(() => undefined);
          await handling;
          return;
        }
      } catch (err) {
        if (o.signal.aborted) return;
        o.log.warn({ what: o.what, err: (err as Error).message }, "consumer unavailable, retrying");
        await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
      }
    }
  } finally {
    o.signal.removeEventListener("abort", onAbort);
  }
}
