import type { Logger } from "@binfleet/shared";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

export interface FollowSubjectOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The stream that keeps what is published on `subject` (with direct gets allowed). */
  readonly stream: string;
  readonly subject: string;
  /** The catch-up consumer's name: fixed, so the bus can allow this reader this consumer only. */
  readonly consumer: string;
  /**
   * Has the catch-up consumer made, from stream sequence `from + 1` (the reader may not make it:
   * see requestCatchUp and openCatchUpConsumer).
   */
  readonly openCatchUp: (from: number) => Promise<void>;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** For the log lines. */
  readonly what: string;
  /** Handles one message, in order; a throw is logged and the next message goes on. */
  readonly handle: (data: Uint8Array) => Promise<void>;
  /** Whether a message was handled before: the last one kept on the subject being so, there is nothing to catch up. */
  readonly handled: (data: Uint8Array) => boolean;
  /** Pause before retrying a catch-up that failed (default 1 s). */
  readonly retryMs?: number;
  /** Called after each catch-up, with how many kept messages it handed over. */
  readonly onCaughtUp?: (handed: number) => void;
}

const CATCH_UP = Symbol("catch up");

/**
 * Follows a subject a stream keeps, one message at a time, until `signal` aborts: live, through a
 * core subscription (no consumer per reader on the server: 10,000 durable consumers on one stream
 * took nats-server 2.9 18 s to create and seconds to serve), and from the stream whatever was
 * published while the reader was away: at start and after every reconnect, live messages wait
 * while a short-lived consumer of the reader's own (filtered to the subject) reads what the stream
 * kept. A message seen both ways is handed over twice: `handle` must know what it handled.
 * Live messages wait for a catch-up that fails (retried), so nothing is handled out of order.
 */
export async function followSubject(o: FollowSubjectOptions): Promise<void> {
  const queue: (Uint8Array | typeof CATCH_UP)[] = [CATCH_UP];
  // The stream sequence read up to: a later catch-up (a reconnect) starts after it, so what was refused once is not read again.
  let readTo = 0;
  let wake: () => void = () => undefined;
  const push = (item: Uint8Array | typeof CATCH_UP): void => {
    queue.push(item);
    wake();
  };
  const sub = o.nc.subscribe(o.subject, {
    callback: (err, m) => {
      if (err === null) push(m.data);
      else o.log.error({ what: o.what, subject: o.subject, err: err.message }, "subscription refused");
    },
  });
  // The status iterator ends with the connection (it has no typed way to stop earlier): past the
  // end of this follow, it is ignored.
  let following = true;
  void (async () => {
    for await (const s of o.nc.status()) if (following && s.type === "reconnect") push(CATCH_UP);
  })();
  const onAbort = (): void => wake();
  o.signal.addEventListener("abort", onAbort, { once: true });
  const pause = (ms: number): Promise<void> =>
    new Promise((r) => {
      const t = setTimeout(r, ms);
      wake = () => (o.signal.aborted ? (clearTimeout(t), r()) : undefined);
    });
  try {
    while (!o.signal.aborted) {
      const item = queue.shift();
      if (item === undefined) {
        await new Promise<void>((r) => (wake = r));
      } else if (item !== CATCH_UP) {
        await o.handle(item).catch((err: unknown) => o.log.error({ what: o.what, subject: o.subject, err }, "message handler failed"));
      } else if (!queue.includes(CATCH_UP)) {
        try {
          const before = readTo;
          const read = await catchUp(o, readTo);
          readTo = read.to;
          if (read.handed > 0) o.log.info({ what: o.what, subject: o.subject, handed: read.handed, from: before + 1 }, "caught up from the stream");
          o.onCaughtUp?.(read.handed);
        } catch (err) {
          if (o.signal.aborted) return;
          o.log.warn({ what: o.what, subject: o.subject, err: (err as Error).message }, "catching up from the stream failed, retrying");
          queue.unshift(CATCH_UP);
          await pause(o.retryMs ?? 1000);
        }
      }
    }
  } finally {
    following = false;
    o.signal.removeEventListener("abort", onAbort);
    sub.unsubscribe();
  }
}

/**
 * Hands over what the stream kept on the subject after stream sequence `readTo` that was not
 * handled yet, oldest first; returns the sequence read up to and how many it handed over.
 */
async function catchUp(o: FollowSubjectOptions, readTo: number): Promise<{ to: number; handed: number }> {
  // Messages are handled in stream order: the last one handled means every earlier one was seen.
  // One direct get then, instead of a consumer for every reader after every reconnect.
  const last = await o.jsm.direct.getMessage(o.stream, { last_by_subj: o.subject });
  if (last === null) return { to: readTo, handed: 0 };
  // A stream made again starts its sequences over.
  const from = last.seq < readTo ? 0 : readTo;
  if (last.seq === from || o.handled(last.data)) return { to: last.seq, handed: 0 };
  await o.openCatchUp(from);
  let read = from;
  let handed = 0;
  try {
    const consumer = await o.js.consumers.get(o.stream, o.consumer);
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0 && !o.signal.aborted) {
      const before = pending;
      for await (const m of await consumer.fetch({ max_messages: Math.min(pending, 100), expires: 5000 })) {
        await o.handle(m.data).catch((err: unknown) => o.log.error({ what: o.what, subject: o.subject, seq: m.seq, err }, "message handler failed"));
        read = m.seq;
        handed++;
        pending = m.info.pending;
        if (o.signal.aborted) return { to: read, handed };
      }
      if (pending === before) throw new Error(`the catch-up consumer delivered nothing of ${pending} pending messages`);
    }
    return { to: read, handed };
  } finally {
    await o.jsm.consumers.delete(o.stream, o.consumer).catch(() => undefined);
  }
}
