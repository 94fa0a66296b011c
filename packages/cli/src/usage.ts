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

export const ENVIRONMENT = "Environment: BINFLEET_SERVER (default 127.0.0.1:50051), BINFLEET_TOKEN, BINFLEET_TOKEN_FILE, BINFLEET_CA; NO_COLOR turns off progress redraws.";

export const EXIT_STATUS = "Exit status: 0 ok; 1 an error (unreachable coordinator, unknown token, node or atom, a halted rollout with --watch); 2 usage.";

export const findCommand = (name: string): Command | undefined => COMMANDS.find((c) => c.name === name);

const optionLabel = (name: string, o: OptionSpec): string => `${o.short === undefined ? "" : `-${o.short}, `}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`;

function optionLines(options: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(options).map(([n, o]) => [optionLabel(n, o), o.help] as const);
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join("\n");
}

/** `binfleet --help`: every command with its summary. */
export function globalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: binfleet [--server HOST:PORT] [--token T | --token-file F] [--ca FILE] [--json] COMMAND …",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    optionLines(GLOBAL_OPTIONS),
    "",
    "`binfleet COMMAND --help` shows a command's usage and options.",
    ENVIRONMENT,
    EXIT_STATUS,
    "",
  ].join("\n");
}

/** `binfleet COMMAND --help`: its usage lines, what it does, its options. */
export function commandUsage(c: Command): string {
  const opts = Object.keys(c.options).length === 0 ? "" : `\nOptions:\n${optionLines(c.options)}\n`;
  return `usage: ${c.synopsis.map((s, i) => `${i === 0 ? "" : "       "}binfleet ${s}`).join("\n")}\n\n${c.description}\n${opts}\nGlobal options (binfleet --help): --server, --token, --token-file, --ca, --json.\n`;
}
