import { type DestinationStream, type Logger, pino } from "pino";

export interface LoggerOptions {
  /** Component name, e.g. "binfleet-agent", "binfleet-coordinator". */
  readonly name: string;
  /** pino level; default from BINFLEET_LOG_LEVEL, else "info". */
  readonly level?: string;
  /** Where lines go; default stderr so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

/**
 * Structured JSON logs: constant messages, variables as fields (`log.info({ node }, "report
 * accepted")`), levels by name ("level":"warn") so journald, Loki and grep read them without a table.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { name: options.name, level: options.level ?? process.env["BINFLEET_LOG_LEVEL"] ?? "info", formatters: { level: (label) => ({ level: label }) } },
    options.destination ?? pino.destination(2),
  );
}
