import { ConfigError, createLogger } from "@binfleet/shared";
import { Coordinator } from "./coordinator.js";
import { loadCoordinatorConfig } from "./coordinator-config.js";

const USAGE = "usage: binfleet-coordinator run [--config /etc/binfleet/coordinator.json]";

/** The process entry: the one place that handles signals. */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = createLogger({ name: "binfleet-coordinator" });
  if (cmd !== "run") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const i = rest.indexOf("--config");
  const file = i >= 0 && rest[i + 1] !== undefined ? rest[i + 1]! : "/etc/binfleet/coordinator.json";
  try {
    const coordinator = await Coordinator.create(await loadCoordinatorConfig(file), log);
    await coordinator.start();
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, "shutting down");
        void coordinator.shutdown().then(resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error({ file: err.file, key: err.key, detail: err.message }, "invalid configuration");
      process.stderr.write(`binfleet-coordinator: ${err.message}\n`);
      return 2;
    }
    log.fatal({ err }, "coordinator failed");
    return 1;
  }
}
