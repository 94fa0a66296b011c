import type { Logger } from "@binfleet/shared";
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";

/**
 * Creates a stream, or updates it to `config` when it exists. A cluster that has just started (or
 * lost a server) answers neither while it elects its JetStream leader, so both are tried again
 * for up to `waitMs` before the first error is thrown (with the last as its cause).
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, log: Logger, waitMs = 30_000): Promise<void> {
  const until = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    let addError: unknown;
    try {
      await jsm.streams.add(config);
      return;
    } catch (err) {
      addError = err;
    }
    try {
      await jsm.streams.update(config.name, config);
      return;
    } catch (err) {
      if (Date.now() >= until) throw new Error(`stream ${config.name} could be neither created nor updated: ${(addError as Error).message}`, { cause: err });
      log.warn({ stream: config.name, attempt, err: (addError as Error).message }, "stream not ready, retrying");
    }
    await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 2000)));
  }
}
