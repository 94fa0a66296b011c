import { livePull, streams, subjects } from "@binfleet/bus";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { BuildBoard } from "../planning/build-board.js";
import { recordKey } from "./builder-worker.js";

/**
 * The build log of one build (id = recordKey of the variant), as its builder streamed it to the
 * bus; with `follow`, until the build has finished and its last output has been read.
 */
export async function* readBuildLog(js: JetStreamClient, jsm: JetStreamManager, board: BuildBoard, buildId: string, follow: boolean, signal: AbortSignal): AsyncGenerator<string> {
  const subject = subjects.buildLog(buildId);
  const variant = board.all().find((r) => recordKey(r.key) === buildId)?.key;
  const info = await jsm.streams.info(streams.buildLogs.name, { subjects_filter: subject });
  const stored = info.state.subjects?.[subject] ?? 0;
  if (stored === 0 && !follow) return;
  const consumer = await js.consumers.get(streams.buildLogs.name, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume(livePull);
  const finished = (): boolean => {
    const r = variant === undefined ? undefined : board.get(variant);
    return r !== undefined && r.state !== "running";
  };
  let unread = stored;
  const stopWhenDone = setInterval(() => {
    if (finished() && unread === 0) void messages.close();
  }, 500);
  const onAbort = (): void => void messages.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    let seen = 0;
    for await (const m of messages) {
      unread = m.info.pending;
      yield new TextDecoder().decode(m.data);
      seen++;
      if (!follow && seen >= stored) break;
    }
  } finally {
    clearInterval(stopWhenDone);
    signal.removeEventListener("abort", onAbort);
    await messages.close();
  }
}
