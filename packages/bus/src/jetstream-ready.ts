import type { Logger } from "@binfleet/shared";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

export interface JetStreamReadyOptions {
  /** Each JetStream API request's timeout. */
  readonly timeout: number;
  /** How long JetStream may not answer before the error is the caller's (default 30 s). */
  readonly waitMs?: number;
  readonly log: Logger;
}

/** The pause between two looks at a JetStream that does not answer. */
const RETRY_MS = 500;

/**
 * The JetStream manager, once the server answers for JetStream. A nats-server reloading its
 * configuration (the coordinator adds a bus user for every node it enrolls) answers "no
 * responders" to JetStream requests for a moment: a daemon starting in that moment waits for it
 * instead of exiting. A server without JetStream for this user still fails the start, after `waitMs`.
 */
export async function jetstreamManagerWhenReady(nc: NatsConnection, o: JetStreamReadyOptions): Promise<JetStreamManager> {
  const deadline = Date.now() + (o.waitMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await jetstreamManager(nc, { timeout: o.timeout });
    } catch (err) {
      // JetStreamNotEnabled is not among the module's exports: known by its name.
      if ((err as Error).name !== "JetStreamNotEnabled" || Date.now() + RETRY_MS > deadline) throw err;
      if (attempt === 1) o.log.warn({ err: (err as Error).message }, "jetstream not answering yet, waiting");
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
