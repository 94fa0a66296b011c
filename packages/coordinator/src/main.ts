import { createLogger, runDaemon } from "@binfleet/shared";
import { Coordinator } from "./coordinator.js";
import { loadCoordinatorConfig } from "./coordinator-config.js";

const USAGE = "usage: binfleet-coordinator run [--config /etc/binfleet/coordinator.json]";

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== "run") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const i = rest.indexOf("--config");
  const file = i >= 0 && rest[i + 1] !== undefined ? rest[i + 1]! : "/etc/binfleet/coordinator.json";
  const log = createLogger({ name: "binfleet-coordinator" });
  return runDaemon("binfleet-coordinator", log, async () => {
    const coordinator = await Coordinator.create(await loadCoordinatorConfig(file), log);
    await coordinator.start();
    return coordinator;
  });
}
