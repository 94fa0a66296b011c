// Public surface of @binfleet/daemon: the process side of binfleet's daemons.
export type { LoggerOptions } from "./logger.js";
export { createLogger } from "./logger.js";
export type { Daemon, RunDaemonOptions } from "./run-daemon.js";
export { runDaemon } from "./run-daemon.js";
export { DaemonFailure, Supervisor } from "./supervisor.js";
export type { SerialLock } from "./serial-lock.js";
export { serialLock } from "./serial-lock.js";
