import type { Logger } from "@binfleet/shared";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { inboxPrefix } from "./names.js";
import { logBusStatus } from "./bus-status.js";

/** A bus user and its password. */
export interface BusCredentials {
  readonly user: string;
  readonly pass: string;
}

export interface BusConnectOptions {
  readonly servers: readonly string[];
  /** Shown in the server's connection list: who this is. */
  readonly name: string;
  readonly credentials?: BusCredentials | null;
  /** A token instead of a user (external clusters configured so). */
  readonly token?: string;
  /** PEM file of the CA the bus's TLS certificate verifies against; set: TLS only. */
  readonly caFile?: string;
  /**
   * Wait for the bus when it is not up yet (an external cluster, an agent started before the
   * coordinator). Off for a server known to be up, whose refusal (a bad certificate) is an error now.
   */
  readonly waitOnFirstConnect: boolean;
  /** Inbox prefix when no credentials name the user (an agent's is its node id). */
  readonly inboxUser?: string;
  readonly log: Logger;
  /** Called when the connection is back after an outage (resend what waited). */
  readonly onReconnect?: () => void;
}

/** The inbox prefix a connection made with these options gets replies under: its user's, or NATS's default. */
export function busInbox(o: Pick<BusConnectOptions, "credentials" | "inboxUser">): string {
  const user = o.credentials?.user ?? o.inboxUser;
  return user === undefined ? "_INBOX" : inboxPrefix(user);
}

/**
 * Connects to the bus the way every binfleet process does: reconnecting forever, replies to the
 * user's own inbox (which its permissions allow), and what the bus says about the connection logged.
 */
export async function connectBus(o: BusConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: [...o.servers],
    name: o.name,
    waitOnFirstConnect: o.waitOnFirstConnect,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    inboxPrefix: busInbox(o),
    // Without: every request (each JetStream publish included) makes two Error objects with stack
    // traces up front, in case it fails. At fleet scale that was a tenth of a node's CPU per
    // command; failures still carry their message and cause, which is what binfleet logs.
    noAsyncTraces: true,
    ...(o.credentials == null ? {} : { user: o.credentials.user, pass: o.credentials.pass }),
    ...(o.token === undefined ? {} : { token: o.token }),
    ...(o.caFile === undefined ? {} : { tls: { caFile: o.caFile } }),
  });
  void logBusStatus(nc, o.log, o.onReconnect);
  return nc;
}
