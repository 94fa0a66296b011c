import type { Logger } from "@binfleet/shared";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * Logs what the bus tells a connection about itself: lost and regained servers, and errors the
 * server reports asynchronously, above all permission violations (a user configured too narrowly
 * on an external cluster shows up here, not as a failed call). `onReconnect` lets a process act
 * at once (resend what waited). Ends when the connection closes.
 */
export async function logBusStatus(nc: NatsConnection, log: Logger, onReconnect: () => void = () => undefined): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === "disconnect") log.warn({ server: s.server }, "disconnected from the bus");
    else if (s.type === "reconnect") {
      log.info({ server: s.server }, "reconnected to the bus");
      onReconnect();
    } else if (s.type === "error") log.error({ err: String(s.error) }, "bus refused an operation");
  }
}
