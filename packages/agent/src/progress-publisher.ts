import { type MessageInitShape, create, toBinary } from "@bufbuild/protobuf";
import { subjects } from "@binfleet/bus";
import type { Logger } from "@binfleet/shared";
import { ProgressEventSchema } from "@binfleet/shared/wire";
import type { JetStreamClient } from "@nats-io/jetstream";

export type ProgressInit = MessageInitShape<typeof ProgressEventSchema>["event"];

/** A node's progress events (started, log lines, packages, outcome) on `binfleet.progress.<node>`. */
export class ProgressPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  async send(commandId: string, event: ProgressInit): Promise<void> {
    const msg = create(ProgressEventSchema, { nodeId: this.nodeId, commandId, atUnixMs: BigInt(Date.now()), ...(event === undefined ? {} : { event }) });
    try {
      await this.js.publish(subjects.progress(this.nodeId), toBinary(ProgressEventSchema, msg), { timeout: 5000 });
    } catch (err) {
      // Progress is best effort: the outcome also shows in the next report.
      this.log.warn({ commandId, err: (err as Error).message }, "progress event not delivered");
    }
  }

  /** The outcome of a command that ran nothing, with why. */
  refuse(commandId: string, error: string): Promise<void> {
    return this.send(commandId, { case: "finished", value: { exitCode: -1, success: false, error } });
  }

  succeeded(commandId: string): Promise<void> {
    return this.send(commandId, { case: "finished", value: { exitCode: 0, success: true } });
  }
}
