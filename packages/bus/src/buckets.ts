import type { Logger } from "@binfleet/shared";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry, KvWatchEntry } from "@nats-io/kv";
import type { Msg, NatsConnection } from "@nats-io/transport-node";

/** What a follower hands on of each value: its key, whether it was put or deleted, and the value. */
export type BucketEntry = Pick<KvEntry, "key" | "operation" | "json">;

/** Follows a bucket: `onEntry` sees every current value, then every change; resolves, once the current values are in, with the function that stops. */
export type BucketFollower = (kv: KV, onEntry: (e: BucketEntry) => void) => Promise<() => void>;

/** Gets in flight while a bucket is read whole without a consumer. */
const READERS = 16;

/**
 * Every current value of a bucket (deleted keys left out), each as parsed JSON, by key. An entry
 * that is not JSON is skipped with a log line: one corrupt value must not stop a daemon's start.
 */
export async function readBucket(kv: KV, log?: Logger): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for await (const k of await kv.keys()) {
    const e = await kv.get(k);
    if (e?.operation !== "PUT") continue;
    try {
      out.set(k, e.json<unknown>());
    } catch (err) {
      log?.warn({ bucket: e.bucket, key: k, err: (err as Error).message }, "bucket entry not understood: skipped");
    }
  }
  return out;
}

/**
 * Follows a KV bucket: `onEntry` sees every current value, then every change as it is made.
 * Resolves once the current values are in, with the function that stops following.
 */
export async function followBucket(kv: KV, onEntry: (e: KvWatchEntry) => void): Promise<() => void> {
  const empty = (await kv.status()).values === 0;
  const watch = await kv.watch();
  let loaded: () => void = () => undefined;
  const initial = new Promise<void>((r) => (loaded = r));
  if (empty) loaded();
  void (async () => {
    for await (const e of watch) {
      onEntry(e);
      // delta counts the values still to come: 0 once the current ones are in (resolving again later is a no-op).
      if (e.delta === 0) loaded();
    }
  })();
  await initial;
  return () => watch.stop();
}

/**
 * Follows buckets without creating a consumer, for a bus user that may not (a builder: a consumer
 * is created with a delivery subject of the creator's choosing, which the server does not check,
 * so the right to create one is the right to have a stream's messages published anywhere). The
 * current values come from direct gets of the keys the stream lists; changes from a plain
 * subscription to the bucket's subjects: every put and delete is a message there, and the
 * buckets followed so are written with plain puts only, so each message is what was stored.
 * Messages missed while the connection was down are made up for by reading everything again.
 */
export function followWithoutConsumers(nc: NatsConnection, jsm: JetStreamManager): BucketFollower {
  return async (kv, onEntry) => {
    const { bucket } = await kv.status();
    const prefix = `$KV.${bucket}.`;
    const known = new Set<string>();
    const apply = (e: BucketEntry): void => {
      if (e.operation === "PUT") known.add(e.key);
      else known.delete(e.key);
      onEntry(e);
    };
    // While everything is read, changes wait: applied after, in order, none is overtaken by an older read.
    let waiting: BucketEntry[] | null = [];
    const sub = nc.subscribe(`${prefix}>`, {
      callback: (err, m) => {
        if (err !== null) return;
        const e = fromMessage(prefix, m);
        if (waiting !== null) waiting.push(e);
        else apply(e);
      },
    });
    const readAll = async (): Promise<void> => {
      waiting ??= [];
      try {
        const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
        const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
        const listed = new Set(keys);
        for (const key of [...known]) if (!listed.has(key)) apply(deleted(key));
        // One get per key (no batch get before server 2.11), a few at a time: approvals add up to many keys.
        let next = 0;
        const reader = async (): Promise<void> => {
          while (next < keys.length) {
            const key = keys[next++]!;
            apply((await kv.get(key)) ?? deleted(key));
          }
        };
        await Promise.all(Array.from({ length: Math.min(READERS, keys.length) }, reader));
      } finally {
        const changes = waiting;
        waiting = null;
        for (const e of changes) apply(e);
      }
    };
    await readAll().catch((err: unknown) => {
      sub.unsubscribe();
      throw err;
    });
    let stopped = false;
    void (async () => {
      for await (const s of nc.status()) {
        if (stopped) return;
        // A failed read leaves what was known; the next reconnect reads again.
        if (s.type === "reconnect") await readAll().catch(() => undefined);
      }
    })();
    return () => {
      stopped = true;
      sub.unsubscribe();
    };
  };
}

/** A change as the bucket's subject carries it: KV-Operation says DEL or PURGE; none is a put. */
function fromMessage(prefix: string, m: Msg): BucketEntry {
  const op = m.headers?.get("KV-Operation");
  return { key: m.subject.slice(prefix.length), operation: op === "DEL" || op === "PURGE" ? op : "PUT", json: <T>() => m.json<T>() };
}

/** A key the stream no longer holds at all. */
function deleted(key: string): BucketEntry {
  return {
    key,
    operation: "DEL",
    json: () => {
      throw new Error(`${key} is deleted`);
    },
  };
}
