import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { API_MAX_REPLY_BYTES, API_MAX_REQUEST_BYTES, addService, toGrpcStatus } from "@binfleet/api";
import type { Logger } from "@binfleet/shared";
import { FleetControlService } from "@binfleet/shared/wire";
import * as grpc from "@grpc/grpc-js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { FleetControl } from "./fleet-control.js";
import { fleetControlHandlers } from "./fleet-control-handlers.js";

/** FleetControl over gRPC: what the `binfleet` CLI speaks (plaintext on loopback, or TLS). */
export class FleetControlServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(c: FleetControl, api: CoordinatorConfig["api"], log: Logger): Promise<FleetControlServer> {
    const server = new grpc.Server({ "grpc.max_receive_message_length": API_MAX_REQUEST_BYTES, "grpc.max_send_message_length": API_MAX_REPLY_BYTES });
    addService(server, FleetControlService, fleetControlHandlers(c, log), toGrpcStatus(log));
    const creds =
      api.tls === undefined ? grpc.ServerCredentials.createInsecure() : grpc.ServerCredentials.createSsl(null, [{ cert_chain: await readFile(api.tls.cert), private_key: await readFile(api.tls.key) }], false);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${api.host}:${api.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));
    return new FleetControlServer(server, `${api.host}:${port}`);
  }

  /** Lets calls in flight finish for a moment, then cuts streams (watchers) off. */
  async close(): Promise<void> {
    await Promise.race([new Promise<void>((r) => this.server.tryShutdown(() => r())), sleep(2000)]);
    this.server.forceShutdown();
  }
}
