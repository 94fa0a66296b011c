import { ConfigError } from "./errors.js";
import type { Logger } from "./logger.js";

/** Something with an orderly stop: drains, finishes or requeues work, closes in reverse order. */
export interface Stoppable {
  shutdown(): Promise<void>;
}

/**
 * The process side of a daemon, in one place: starts the service, stops it on
 * SIGTERM or SIGINT, and maps a bad configuration to exit 2 with one line per
 * problem on stderr. A one-shot command returns null from `start` and exits 0 when done.
 * Returns the exit code.
 */
export async function runDaemon(name: string, log: Logger, start: () => Promise<Stoppable | null>): Promise<number> {
  try {
    const service = await start();
    if (service === null) return 0;
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, "shutting down");
        void service.shutdown().then(resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error({ file: err.file, key: err.key, problems: err.problems }, "invalid configuration");
      process.stderr.write(err.message.split("\n").map((line) => `${name}: ${line}\n`).join(""));
      return 2;
    }
    log.fatal({ err }, "service failed");
    return 1;
  }
}
