export type { NatsClusterOptions, NatsServer, NatsServerOptions } from "./nats-server.js";
export { startNatsCluster, startNatsServer } from "./nats-server.js";
export { waitForPort } from "./wait-for-port.js";
