import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** Component name, e.g. "agent", "coordinator". */
  readonly name: string;
  /** pino level; default from BINFLEET_LOG_LEVEL, else "info". */
  readonly level?: string;
  /** Where lines go; default stderr so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

/** Structured JSON logs: constant messages, variables as fields (`log.info({ node }, "report accepted")`). */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { name: options.name, level: options.level ?? process.env["BINFLEET_LOG_LEVEL"] ?? "info" },
    options.destination ?? pino.destination(2),
  );
}
