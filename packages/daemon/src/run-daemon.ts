import { ConfigError, type Logger } from "@binfleet/shared";
import type { DaemonFailure } from "./supervisor.js";

/** A running daemon, as the process sees it. */
export interface Daemon {
  /** Drains, finishes or requeues work, closes in reverse order. */
  shutdown(): Promise<void>;
  /** Resolves when the daemon can no longer work (a loop died, its bus is gone for good). */
  readonly failure?: Promise<DaemonFailure>;
  /** SIGHUP: takes what can change without a restart from the configuration file again. */
  reload?(): Promise<void>;
}

export interface RunDaemonOptions {
  /** How long a shutdown may take before the process exits anyway (default 15 s). */
  readonly graceMs?: number;
  /** Where signals come from (the process; tests pass an emitter). */
  readonly signals?: Pick<NodeJS.Process, "once" | "on" | "off">;
  readonly stderr?: (text: string) => void;
}

/**
 * The process side of a daemon, in one place: starts the service; stops it on SIGTERM or SIGINT
 * (exit 0); reloads it on SIGHUP; stops it when it fails (exit 1, within the grace period even if
 * its shutdown hangs); maps a bad configuration to exit 2 with one line per problem on stderr. A one-shot
 * command returns null from `start` and exits 0 when done. Returns the exit code.
 */
export async function runDaemon(name: string, log: Logger, start: () => Promise<Daemon | null>, options: RunDaemonOptions = {}): Promise<number> {
  const signals = options.signals ?? process;
  const stderr = options.stderr ?? ((t: string) => void process.stderr.write(t));
  const graceMs = options.graceMs ?? 15_000;
  // The last line of defence: a stray rejected promise is a bug to log, not a reason to drop every node's connection.
  const onRejection = (reason: unknown): void => log.error({ err: reason }, "unhandled rejection");
  signals.on("unhandledRejection", onRejection);
  try {
    const service = await start();
    if (service === null) return 0;
    const outcome = await new Promise<{ code: number; why: string }>((resolve) => {
      const stop = (signal: string): void => resolve({ code: 0, why: signal });
      signals.once("SIGTERM", () => stop("SIGTERM"));
      signals.once("SIGINT", () => stop("SIGINT"));
      signals.on("SIGHUP", () => {
        if (service.reload === undefined) log.warn({}, "SIGHUP ignored: restart the daemon to apply a new configuration");
        else void service.reload().then(() => log.info({}, "configuration reloaded"), (err: unknown) => log.error({ err }, "configuration not reloaded"));
      });
      void service.failure?.then((f) => resolve({ code: 1, why: f.message }));
    });
    log.info({ reason: outcome.why }, "shutting down");
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), graceMs)));
    const done = await Promise.race([service.shutdown().then(() => "done" as const, () => "done" as const), grace]);
    clearTimeout(timer);
    if (done === "timeout") {
      log.error({ graceMs }, "shutdown took longer than its grace period: exiting anyway");
      return outcome.code === 0 ? 1 : outcome.code;
    }
    if (outcome.code !== 0) stderr(`${name}: ${outcome.why}\n`);
    return outcome.code;
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error({ file: err.file, key: err.key, problems: err.problems }, "invalid configuration");
      stderr(err.message.split("\n").map((line) => `${name}: ${line}\n`).join(""));
      return 2;
    }
    log.fatal({ err }, "service failed");
    stderr(`${name}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    signals.off("unhandledRejection", onRejection);
  }
}
