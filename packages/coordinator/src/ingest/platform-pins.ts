import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";
import * as z from "zod";
import { readBucket } from "@binfleet/bus";


const PinSchema = z.object({ platformKey: z.string(), by: z.string(), at: z.number() });
export type PlatformPin = z.infer<typeof PinSchema>;
const ShardSchema = z.record(z.string(), PinSchema);

/** Pins are kept in 256 entries by node-id hash: thousands of first reports cost a few hundred writes, not one each. */
const shardOf = (nodeId: string): string => `pins-${createHash("sha256").update(nodeId).digest("hex").slice(0, 2)}`;

/**
 * The platform each node is on: the platform of its first report, or the one an admin accepted
 * (`binfleet accept-platform`). Only the coordinator writes them; a pin is in effect at once and
 * written with the others of its shard shortly after (`flush` to wait for it).
 */
export class PlatformPins {
  /** Shard → node → pin. */
  private readonly shards = new Map<string, Map<string, PlatformPin>>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kv: KV,
    private readonly onError: (err: Error) => void,
  ) {}

  static async open(kv: KV, onError: (err: Error) => void): Promise<PlatformPins> {
    const pins = new PlatformPins(kv, onError);
    for (const [k, value] of await readBucket(kv)) {
      const shard = ShardSchema.safeParse(value);
      // An unreadable shard pins nobody: its nodes are pinned again by their next report.
      if (shard.success) pins.shards.set(k, new Map(Object.entries(shard.data)));
    }
    return pins;
  }

  get(nodeId: string): PlatformPin | undefined {
    return this.shards.get(shardOf(nodeId))?.get(nodeId);
  }

  set(nodeId: string, platformKey: string, by: string): void {
    const shard = shardOf(nodeId);
    let pins = this.shards.get(shard);
    if (pins === undefined) this.shards.set(shard, (pins = new Map()));
    pins.set(nodeId, { platformKey, by, at: Date.now() });
    this.dirty.add(shard);
    this.timer ??= setTimeout(() => void this.flush().catch((err: unknown) => this.onError(err as Error)), 200);
  }

  /** Writes every changed shard; resolves when they are stored. */
  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const shards = [...this.dirty];
    this.dirty.clear();
    const write = async (): Promise<void> => {
      for (const shard of shards) await this.kv.put(shard, JSON.stringify(Object.fromEntries(this.shards.get(shard)!)));
    };
    this.flushing = this.flushing.then(write, write);
    return this.flushing;
  }
}
