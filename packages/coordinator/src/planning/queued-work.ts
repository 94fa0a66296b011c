import type { KV } from "@nats-io/kv";
import * as z from "zod";
import { type BucketFollower, followBucket } from "@binfleet/bus";


// `urgent`: security builds among the jobs (absent in what an older coordinator wrote).
const QueuedSchema = z.object({ seconds: z.number().nonnegative(), jobs: z.number().int().nonnegative(), urgent: z.number().int().nonnegative().default(0) });
export type Queued = z.infer<typeof QueuedSchema>;

/**
 * How much build work waits in each platform's queue (estimated seconds, jobs), by platform name.
 * The coordinator, which holds the build list and the estimates, writes it; builder slots read it
 * to serve the platform with the most work left. A queue's messages themselves carry no totals.
 */
export class QueuedWork {
  private readonly queued = new Map<string, Queued>();
  private readonly listeners = new Set<() => void>();
  private stopFollowing: () => void = () => undefined;

  private constructor(private readonly kv: KV) {}

  /** The figures in the bucket, followed (with `follow`) as the coordinator writes them. */
  static async open(kv: KV, follow: BucketFollower = followBucket): Promise<QueuedWork> {
    const q = new QueuedWork(kv);
    q.stopFollowing = await follow(kv, (e) => {
      const parsed = e.operation === "PUT" ? QueuedSchema.safeParse(e.json<unknown>()) : null;
      if (parsed?.success === true) q.queued.set(e.key, parsed.data);
      else q.queued.delete(e.key);
      for (const l of q.listeners) l();
    });
    return q;
  }

  get(platform: string): Queued {
    return this.queued.get(platform) ?? { seconds: 0, jobs: 0, urgent: 0 };
  }

  /** Called on every change (the value of one platform); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes a platform's queued work, when it changed. */
  async publish(platform: string, q: Queued): Promise<void> {
    const now = this.queued.get(platform);
    if (now !== undefined && now.seconds === q.seconds && now.jobs === q.jobs && now.urgent === q.urgent) return;
    this.queued.set(platform, q);
    await this.kv.put(platform, JSON.stringify(q));
  }

  stop(): void {
    this.stopFollowing();
  }
}

/**
 * Which platform a free builder slot serves next: one with security builds queued (the most of
 * them) before any other; otherwise the one with the most estimated work queued, among those it
 * has a free root for. Serving the longest queue first keeps every slot busy until the end, so
 * the last builds of all platforms finish together (list scheduling by remaining work).
 * Platforms whose queue is not known to hold work come last, in order.
 */
export function pickPlatform(candidates: readonly { readonly name: string; readonly queuedSeconds: number; readonly urgentJobs?: number }[]): string | null {
  let best: (typeof candidates)[number] | null = null;
  for (const c of candidates) {
    const urgent = c.urgentJobs ?? 0;
    const bestUrgent = best?.urgentJobs ?? 0;
    if (best === null || urgent > bestUrgent || (urgent === bestUrgent && c.queuedSeconds > best.queuedSeconds)) best = c;
  }
  return best?.name ?? null;
}
