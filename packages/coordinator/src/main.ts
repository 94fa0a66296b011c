import { createLogger, runDaemon } from "@binfleet/shared";
import { BuilderProcess } from "./builder-process.js";
import { Coordinator } from "./coordinator.js";
import { loadCoordinatorConfig } from "./coordinator-config.js";

const USAGE = `usage: binfleet-coordinator run [--config /etc/binfleet/coordinator.json]
       binfleet-coordinator builder [--config FILE]   builder workers only (a build host, or more builders beside the coordinator)`;

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== "run" && cmd !== "builder") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const i = rest.indexOf("--config");
  const file = i >= 0 && rest[i + 1] !== undefined ? rest[i + 1]! : "/etc/binfleet/coordinator.json";
  const log = createLogger({ name: cmd === "builder" ? "binfleet-builder" : "binfleet-coordinator" });
  if (cmd === "builder") return runDaemon("binfleet-builder", log, async () => BuilderProcess.create(await loadCoordinatorConfig(file), log));
  return runDaemon("binfleet-coordinator", log, async () => {
    const coordinator = await Coordinator.create(await loadCoordinatorConfig(file), log);
    await coordinator.start();
    return coordinator;
  });
}
