import type { Logger } from "@binfleet/shared";

/** Why a daemon stopped working: the loop or resource that failed, and its error as `cause`. */
export class DaemonFailure extends Error {
  override readonly name = "DaemonFailure";
  constructor(
    /** The loop or resource that failed ("reports", "embedded nats-server", …). */
    readonly what: string,
    options?: ErrorOptions,
  ) {
    super(`${what} failed: ${options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? "stopped")}`, options);
  }
}

/**
 * A daemon's lifecycle in one object: its background loops, the things it opened, and its first
 * failure. A loop that ends before the daemon stops (it threw, or returned when it should run
 * forever) fails the daemon: the failure is logged once and `failure` resolves, so the process
 * can shut down and exit non-zero for its service manager to restart it. Everything registered
 * with `defer` is closed once, in reverse order, by `stop`.
 */
export class Supervisor {
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly closers: { what: string; close: () => unknown }[] = [];
  private first: DaemonFailure | null = null;
  private onFailure: (f: DaemonFailure) => void = () => undefined;
  private stopped: Promise<void> | null = null;
  /** Resolves with the first failure; never rejects. */
  readonly failure: Promise<DaemonFailure> = new Promise((r) => (this.onFailure = r));

  constructor(private readonly log: Logger) {}

  /** Aborted when the daemon stops: loops end at their next await. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  get isStopping(): boolean {
    return this.stopping.signal.aborted;
  }

  /** The first failure, if any. */
  get failed(): DaemonFailure | null {
    return this.first;
  }

  /** Runs a loop meant to last until the daemon stops; its end before that is a failure. */
  loop(what: string, run: (signal: AbortSignal) => Promise<void>): void {
    const p = (async () => {
      try {
        await run(this.signal);
        if (!this.isStopping) this.fail(what, new Error("loop ended"));
      } catch (err) {
        if (!this.isStopping) this.fail(what, err);
      }
    })();
    this.loops.push(p);
  }

  /** Something the daemon cannot work without has gone (a connection closed for good, a child process exited). */
  fail(what: string, cause: unknown): void {
    if (this.first !== null || this.isStopping) return;
    this.first = new DaemonFailure(what, { cause });
    this.log.fatal({ what, err: cause }, "daemon failed");
    this.onFailure(this.first);
  }

  /** Registers something opened; `stop` closes it after what was registered later. */
  defer(what: string, close: () => unknown): void {
    this.closers.push({ what, close });
  }

  /** Stops the loops, waits for them, then closes everything in reverse order (each once; errors logged). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort();
      await Promise.allSettled(this.loops);
      for (const { what, close } of this.closers.reverse()) {
        try {
          await close();
        } catch (err) {
          this.log.warn({ what, err: (err as Error).message }, "close failed");
        }
      }
    })();
    return this.stopped;
  }
}
