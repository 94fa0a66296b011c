export type { NatsServer, NatsServerOptions } from "./nats-server.js";
export { startNatsServer } from "./nats-server.js";
