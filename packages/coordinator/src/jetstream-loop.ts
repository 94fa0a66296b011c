import type { Logger } from "@binfleet/shared";
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";

/**
 * Consumes until `signal` aborts: opens the consumer, hands each message to
 * `handle`, and reopens after a second when the stream or server goes away
 * (a restarting cluster node, a consumer deleted by an admin).
 */
export async function consumeUntilAborted(o: {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** For the log line when the consumer is unavailable. */
  readonly what: string;
  readonly open: () => Promise<ConsumerMessages>;
  readonly handle: (m: JsMsg) => Promise<void>;
}): Promise<void> {
  let current: ConsumerMessages | null = null;
  const onAbort = (): void => void current?.close();
  o.signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (!o.signal.aborted) {
      try {
        current = await o.open();
        if (o.signal.aborted) {
          await current.close();
          return;
        }
        for await (const m of current) await o.handle(m);
      } catch (err) {
        if (o.signal.aborted) return;
        o.log.warn({ what: o.what, err: (err as Error).message }, "consumer unavailable, retrying");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    o.signal.removeEventListener("abort", onAbort);
  }
}
