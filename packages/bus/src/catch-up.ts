import type { Logger } from "@binfleet/shared";
import { AckPolicy, DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { type NatsConnection, type Subscription, nanos } from "@nats-io/transport-node";
import { consumers, streams, subjects } from "./names.js";

/** How long a catch-up consumer outlives a reader that died: the next catch-up replaces it anyway. */
const CATCH_UP_INACTIVE_MS = 5 * 60_000;

/**
 * Makes a reader's short-lived catch-up consumer on `subject`, from stream sequence `from + 1`
 * (0: from the start), replacing one a reader that died left behind. No acks: a handler may run
 * for hours (an emerge), past any ack wait; a catch-up cut short starts over.
 */
export async function openCatchUpConsumer(jsm: JetStreamManager, stream: string, name: string, subject: string, from: number): Promise<void> {
  await jsm.consumers.delete(stream, name).catch(() => undefined);
  await jsm.consumers.add(stream, {
    name,
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    ...(from === 0 ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 }),
    mem_storage: true,
    inactive_threshold: nanos(CATCH_UP_INACTIVE_MS),
  });
}

/**
 * A node asks the coordinator for its catch-up consumer: a node may not create consumers at all,
 * since a consumer's delivery subject is in the request's body, which nats-server does not hold
 * against the creator's permissions (a node could have its commands pushed onto any subject).
 */
export async function requestCatchUp(nc: NatsConnection, node: string, from: number): Promise<void> {
  const reply = await nc.request(subjects.catchUp(node), new TextEncoder().encode(String(from)), { timeout: 10_000 });
  const text = new TextDecoder().decode(reply.data);
  if (text !== "ok") throw new Error(`the coordinator did not open the catch-up: ${text.slice(0, 200)}`);
}

/**
 * The coordinator's side: makes each node's catch-up consumer on its request, filtered to that
 * node's own command subject (the node is the subject's last token: a node may publish on its own
 * catch-up subject only). Returns the subscription.
 */
export function serveCatchUps(nc: NatsConnection, jsm: JetStreamManager, log: Logger): Subscription {
  return nc.subscribe(subjects.catchUp("*"), {
    callback: (err, m) => {
      if (err !== null) return;
      const node = m.subject.slice(subjects.catchUp("").length);
      const from = Number(new TextDecoder().decode(m.data));
      if (!Number.isSafeInteger(from) || from < 0) {
        m.respond(new TextEncoder().encode("a catch-up starts at a stream sequence"));
        return;
      }
      openCatchUpConsumer(jsm, streams.commands.name, consumers.commandCatchUp(node), subjects.command(node), from).then(
        () => m.respond(new TextEncoder().encode("ok")),
        (e: unknown) => {
          log.warn({ node, err: (e as Error).message }, "catch-up consumer not made");
          m.respond(new TextEncoder().encode((e as Error).message));
        },
      );
    },
  });
}
