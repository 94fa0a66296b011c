import { type DocOption, type ProgramDoc, renderUsage } from "@binfleet/shared/program";
import type { Command, OptionSpec } from "./command.js";
import { COMMANDS } from "./commands/index.js";

/** The options every command takes, wherever they stand on the line. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  server: { type: "string", value: "HOST:PORT", help: "the coordinator's API (default $BINFLEET_SERVER, else 127.0.0.1:50051)" },
  token: { type: "string", value: "T", help: "bearer token (default $BINFLEET_TOKEN)" },
  "token-file": { type: "string", value: "F", help: "read the token from F (default $BINFLEET_TOKEN_FILE)" },
  ca: { type: "string", value: "FILE", help: "PEM CA of the API's TLS certificate (default $BINFLEET_CA)" },
  json: { type: "boolean", help: "each reply as one line of JSON (the protobuf JSON mapping, every field present)" },
  help: { type: "boolean", short: "h", help: "this help, or a command's with COMMAND --help" },
  version: { type: "boolean", help: "print the version" },
};

export const findCommand = (name: string): Command | undefined => COMMANDS.find((c) => c.name === name);

/** How an option is written: `-f, --follow`, `--platform P`. */
export const optionLabel = (name: string, o: OptionSpec): string => `${o.short === undefined ? "" : `-${o.short}, `}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;

const docOptions = (options: Readonly<Record<string, OptionSpec>>): DocOption[] => Object.entries(options).map(([n, o]) => ({ label: optionLabel(n, o), help: o.help }));

/** binfleet as its --help and binfleet(1) describe it: from the command registry. */
export function cliDoc(): ProgramDoc {
  return {
    name: "binfleet",
    section: 1,
    summary: "drive a binfleet coordinator: nodes, build list, approvals, builds, rollouts, advisories",
    synopsis: ["[--server HOST:PORT] [--token T | --token-file F] [--ca FILE] [--json] COMMAND …"],
    description:
      "binfleet talks to a binfleet-coordinator over its FleetControl gRPC API: what the fleet's nodes have and need, the deduplicated build list, approvals and holds, builds and their logs, staged rollouts of `emerge -g`, and why a node would still compile a package.\n\n`binfleet COMMAND --help` shows a command's usage and options.",
    commands: COMMANDS.map((c) => ({ name: c.name, synopsis: c.synopsis, summary: c.summary, description: c.description, options: docOptions(c.options) })),
    options: docOptions(GLOBAL_OPTIONS),
    environment: "BINFLEET_SERVER (default 127.0.0.1:50051), BINFLEET_TOKEN, BINFLEET_TOKEN_FILE, BINFLEET_CA; NO_COLOR turns off progress redraws.",
    exitStatus: "Exit status: 0 ok; 1 an error (unreachable coordinator, unknown token, node or atom, a halted rollout with --watch); 2 usage.",
    seeAlso: ["binfleet-coordinator(8)", "binfleet-agent(8)", "emerge(1)"],
  };
}

/** `binfleet --help`: every command with its summary. */
export const globalUsage = (): string => renderUsage(cliDoc());

/** `binfleet COMMAND --help`: its usage lines, what it does, its options. */
export function commandUsage(c: Command): string {
  const opts = Object.keys(c.options).length === 0 ? "" : `\nOptions:\n${docOptions(c.options).map((o) => `  ${o.label}  ${o.help}`).join("\n")}\n`;
  return `usage: ${c.synopsis.map((s, i) => `${i === 0 ? "" : "       "}binfleet ${s}`).join("\n")}\n\n${c.description}\n${opts}\nGlobal options (binfleet --help): --server, --token, --token-file, --ca, --json.\n`;
}
