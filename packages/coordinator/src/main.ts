import { parseArgs } from "node:util";
import { COORDINATOR_USER, SERVICE_USER_PREFIX } from "@binfleet/bus";
import { createLogger, runDaemon } from "@binfleet/daemon";
import { BINFLEET_VERSION, NODE_ID_PATTERN, renderUsage } from "@binfleet/shared";
import { BuilderProcess } from "./builders/builder-process.js";
import { loadCoordinatorConfig } from "./config/coordinator-config.js";
import { Coordinator } from "./coordinator.js";
import { busAuthorization, secret } from "./enrollment/bus-users.js";
import { COORDINATOR_DOC } from "./program-doc.js";

const COORDINATOR_USAGE = renderUsage(COORDINATOR_DOC);

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/**
 * Prints nats-server's `authorization` block for an external cluster: the coordinator, the named
 * builders and nodes, each with the permissions the embedded server gives it and a new password.
 */
export function printBusAuthorization(args: readonly string[], io: Io): number {
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

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "--version") {
    io.out(`binfleet-coordinator ${BINFLEET_VERSION}\n`);
    return 0;
  }
  if (cmd === "--help" || cmd === "-h" || cmd === "help" || rest.includes("--help") || rest.includes("-h")) {
    io.out(COORDINATOR_USAGE);
    return 0;
  }
  if (cmd === "bus-authorization") return printBusAuthorization(rest, io);
  if (cmd !== "run" && cmd !== "builder") {
    io.err(COORDINATOR_USAGE);
    return 2;
  }
  const i = rest.indexOf("--config");
  const file = i >= 0 && rest[i + 1] !== undefined ? rest[i + 1]! : "/etc/binfleet/coordinator.json";
  const log = createLogger({ name: cmd === "builder" ? "binfleet-builder" : "binfleet-coordinator" });
  if (cmd === "builder") return runDaemon("binfleet-builder", log, async () => BuilderProcess.create(await loadCoordinatorConfig(file), log));
  return runDaemon("binfleet-coordinator", log, async () => {
    const coordinator = await Coordinator.create(await loadCoordinatorConfig(file), log);
    await coordinator.start();
    // SIGHUP reads the file again; a file that does not load leaves the running configuration as it is.
    return { shutdown: () => coordinator.shutdown(), failure: coordinator.failure, reload: async () => void (await coordinator.reload(await loadCoordinatorConfig(file))) };
  });
}
