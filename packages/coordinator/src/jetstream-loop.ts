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
            handling = o.handle(m);
            await handling;
          }
        })();
        await Promise.race([iterate, aborted]);
        if (o.signal.aborted) {
          iterate.catch(() => undefined);
          await handling.catch(() => undefined);
          return;
        }
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
