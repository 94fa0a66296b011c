import { parseArgs } from "node:util";
import { NODE_ID_PATTERN, SERVICE_USER_PREFIX, createLogger, runDaemon } from "@binfleet/shared";
import { COORDINATOR_USER } from "./bus-permissions.js";
import { busAuthorization, secret } from "./bus-users.js";
import { BuilderProcess } from "./builder-process.js";
import { Coordinator } from "./coordinator.js";
import { loadCoordinatorConfig } from "./coordinator-config.js";

const USAGE = `usage: binfleet-coordinator run [--config /etc/binfleet/coordinator.json]
       binfleet-coordinator builder [--config FILE]   builder workers only (a build host, or more builders beside the coordinator)
       binfleet-coordinator bus-authorization [--builder NAME]… [--node NODE]…
                                    an external cluster's users with binfleet's permissions and fresh passwords`;

/**
 * Prints nats-server's `authorization` block for an external cluster: the coordinator, the named
 * builders and nodes, each with the permissions the embedded server gives it and a new password.
 */
export function printBusAuthorization(args: readonly string[], io: { out(text: string): void; err(text: string): void }): number {
  const { values } = parseArgs({ args: [...args], options: { builder: { type: "string", multiple: true, default: [] }, node: { type: "string", multiple: true, default: [] } } });
  const bad = [...values.builder, ...values.node].find((n) => !NODE_ID_PATTERN.test(n)) ?? values.node.find((n) => n.startsWith(SERVICE_USER_PREFIX));
  if (bad !== undefined) {
    io.err(`binfleet-coordinator: '${bad.slice(0, 64)}' is not a usable builder or node name (letters, digits, - and _; nodes not '${SERVICE_USER_PREFIX}…')\n`);
    return 2;
  }
  const passwords = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, secret()]));
  io.out(busAuthorization({ coordinator: { user: COORDINATOR_USER, pass: secret() }, builders: passwords(values.builder), nodes: passwords(values.node) }));
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "bus-authorization") return printBusAuthorization(rest, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) });
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
