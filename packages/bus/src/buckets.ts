import type { Logger } from "@binfleet/shared";
import type { KV, KvWatchEntry } from "@nats-io/kv";

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
