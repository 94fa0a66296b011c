import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type FleetControlClient, connectFleetControl } from "@binfleet/api";
import { BINFLEET_VERSION } from "@binfleet/shared/program";
import * as grpc from "@grpc/grpc-js";
import { type Command, type CommandContext, type Io, UsageError } from "./command.js";
import { commandUsage, findCommand, globalUsage } from "./usage.js";

const WITH_VALUE = ["server", "token", "token-file", "ca"] as const;
type Globals = Partial<Record<(typeof WITH_VALUE)[number], string>> & { json: boolean; help: boolean; version: boolean };

/** Takes the global options out wherever they stand (`binfleet plan --json` and `binfleet --json plan` alike). */
function splitGlobalOptions(argv: readonly string[]): { globals: Globals; rest: string[] } {
  const globals: Globals = { json: false, help: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [name, inline] = a.startsWith("--") ? (a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]) : ["", undefined];
    if (a === "--json") globals.json = true;
    else if (a === "--help" || a === "-h") globals.help = true;
    else if (a === "--version") globals.version = true;
    else if ((WITH_VALUE as readonly string[]).includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      globals[name as (typeof WITH_VALUE)[number]] = v;
    } else rest.push(a);
  }
  return { globals, rest };
}

export function processIo(): Io {
  const tty = process.stdout.isTTY === true;
  return { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), tty, color: tty && process.env["NO_COLOR"] === undefined };
}

/** Connects on first use, so `--help` and usage errors never need the coordinator. */
async function apiFactory(g: Globals): Promise<{ get: () => FleetControlClient; close: () => void }> {
  const tokenFile = g["token-file"] ?? process.env["BINFLEET_TOKEN_FILE"];
  const token = g.token ?? process.env["BINFLEET_TOKEN"] ?? (tokenFile === undefined ? undefined : (await readFile(tokenFile, "utf8")).trim());
  const ca = g.ca ?? process.env["BINFLEET_CA"];
  const caPem = ca === undefined ? undefined : await readFile(ca);
  const server = g.server ?? process.env["BINFLEET_SERVER"] ?? "127.0.0.1:50051";
  let client: FleetControlClient | null = null;
  return {
    get: () => (client ??= connectFleetControl(server, { ...(token === undefined ? {} : { token }), ...(caPem === undefined ? {} : { caPem }) })),
    close: () => client?.close(),
  };
}

function parseCommandArgs(c: Command, args: readonly string[]): Pick<CommandContext, "positionals" | "values"> {
  try {
    const options = Object.fromEntries(
      Object.entries(c.options).map(([name, o]) => [name, { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === undefined ? {} : { multiple: o.multiple }), ...(o.default === undefined ? {} : { default: o.default }) }]),
    );
    const { positionals, values } = parseArgs({ args: [...args], options: options as never, allowPositionals: true, strict: true });
    return { positionals, values: values as CommandContext["values"] };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The CLI's one error mapping: a message on stderr and the exit status (1 failed, 2 usage). */
function report(err: unknown, io: Io, command: Command | undefined): number {
  if (err instanceof UsageError) {
    io.err(`binfleet: ${err.message}\n${command === undefined ? globalUsage() : commandUsage(command)}`);
    return 2;
  }
  const e = err as grpc.ServiceError;
  if (typeof e.code === "number") {
    const what = e.code === grpc.status.UNAVAILABLE ? `cannot reach the coordinator (${e.details})` : e.code === grpc.status.DEADLINE_EXCEEDED ? "the coordinator did not answer in time" : e.details || e.message;
    io.err(`binfleet: error: ${what}\n`);
    return e.code === grpc.status.INVALID_ARGUMENT ? 2 : 1;
  }
  io.err(`binfleet: error: ${(err as Error).message}\n`);
  return 1;
}

/** Parses global options, then one command, and runs it; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let command: Command | undefined;
  let api: { get: () => FleetControlClient; close: () => void } | null = null;
  try {
    const { globals, rest } = splitGlobalOptions(argv);
    const [name, ...args] = rest;
    if (globals.version) {
      io.out(`binfleet ${BINFLEET_VERSION}\n`);
      return 0;
    }
    if (name === undefined || (name === "help" && args.length === 0)) {
      (globals.help || name === "help" ? io.out : io.err)(globalUsage());
      return globals.help || name === "help" ? 0 : 2;
    }
    command = findCommand(name === "help" ? args[0]! : name);
    if (command === undefined) throw new UsageError(`unknown command ${name === "help" ? args[0] : name}`);
    if (globals.help || name === "help") {
      io.out(commandUsage(command));
      return 0;
    }
    const parsed = parseCommandArgs(command, args);
    api = await apiFactory(globals);
    return await command.run({ ...parsed, json: globals.json, io, api: api.get });
  } catch (err) {
    return report(err, io, command);
  } finally {
    api?.close();
  }
}
