import type { Logger } from "@binfleet/shared";
import type { KV } from "@nats-io/kv";
import { followBucket } from "@binfleet/bus";
import type { BuildRecord } from "../builders/builder-worker.js";


/**
 * Every build record in the `binfleet-builds` bucket, kept current from a KV
 * watch: what `binfleet plan` and `binfleet builds` show, and what
 * `builds --watch` streams. Records are written only by builder workers.
 */
export class BuildBoard {
  private readonly records = new Map<string, BuildRecord>();
  private readonly listeners = new Set<(r: BuildRecord) => void>();
  private stopWatch: (() => void) | null = null;

  constructor(private readonly log: Logger) {}

  /** Loads the current records and follows changes; resolves once the initial values are in. */
  async follow(kv: KV): Promise<void> {
    this.stopWatch = await followBucket(kv, (e) => {
      if (e.operation !== "PUT") return;
      try {
        const r = e.json<BuildRecord>();
        this.records.set(r.key, r);
        for (const l of this.listeners) l(r);
      } catch (err) {
        this.log.warn({ key: e.key, err: (err as Error).message }, "unreadable build record ignored");
      }
    });
  }

  stop(): void {
    this.stopWatch?.();
  }

  get(variant: string): BuildRecord | undefined {
    return this.records.get(variant);
  }

  all(): BuildRecord[] {
    return [...this.records.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Calls fn on every record change until the returned function is called. */
  subscribe(fn: (r: BuildRecord) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
