import { FleetControlService } from "@binfleet/shared/wire";
import * as grpc from "@grpc/grpc-js";
import { type Client, createClient } from "./grpc-bridge.js";
import { apiClientOptions } from "./limits.js";

export type FleetControlClient = Client<typeof FleetControlService>;

export interface FleetControlCredentials {
  /** Bearer token; every call carries it. */
  readonly token?: string;
  /** PEM of the CA the API's TLS certificate verifies against; absent: plaintext (loopback). */
  readonly caPem?: Buffer;
}

/**
 * A typed FleetControl client: every call carries the token, requests over the server's limit
 * are refused before they are sent, replies up to the API's reply limit are taken.
 */
export function connectFleetControl(address: string, credentials: FleetControlCredentials = {}): FleetControlClient {
  const channel = credentials.caPem === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(credentials.caPem);
  const metadata = new grpc.Metadata();
  if (credentials.token !== undefined) metadata.set("authorization", `Bearer ${credentials.token}`);
  return createClient(FleetControlService, address, channel, apiClientOptions, { metadata });
}
