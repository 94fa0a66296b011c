import { type DescMessage, type MessageInitShape, type MessageShape, create } from "@bufbuild/protobuf";
import type { CallContext, Handlers } from "@binfleet/api";
import { FleetControlService } from "@binfleet/shared/wire";
import { Metadata } from "@grpc/grpc-js";

/** The ops API's handlers, as the coordinator builds them over its FleetControl (the gRPC server serves the same). */
export type FleetHandlers = Handlers<typeof FleetControlService>;

type Methods = (typeof FleetControlService)["method"];
type UnaryName = { [K in keyof Methods]: Methods[K]["methodKind"] extends "unary" ? K : never }[keyof Methods];
type StreamName = { [K in keyof Methods]: Methods[K]["methodKind"] extends "server_streaming" ? K : never }[keyof Methods];
type In<K extends keyof Methods> = MessageInitShape<Methods[K]["input"]>;
type Out<K extends keyof Methods> = MessageShape<Methods[K]["output"]>;

/**
 * The API as one logged-in browser calls it: in process, through the very handlers the gRPC server
 * runs, with the session's token as the call's bearer token. So roles, validation, row caps and
 * the audit log ("api mutation", with who) are the API's; the dashboard adds no rule of its own.
 * Requests are full messages (defaults filled in) and replies are normalized the same way.
 */
export class FleetApi {
  private readonly metadata = new Metadata();

  constructor(
    private readonly handlers: FleetHandlers,
    token: string,
    private readonly peer: string,
  ) {
    this.metadata.set("authorization", `Bearer ${token}`);
  }

  private context(signal: AbortSignal): CallContext {
    return { signal, metadata: this.metadata, peer: this.peer };
  }

  async call<K extends UnaryName>(method: K, init: In<K>, signal: AbortSignal = new AbortController().signal): Promise<Out<K>> {
    const m = FleetControlService.method[method];
    const handler = this.handlers[method] as unknown as (req: unknown, ctx: CallContext) => Promise<unknown>;
    const reply = await handler(create(m.input as DescMessage, init as never), this.context(signal));
    return create(m.output as DescMessage, reply as never) as unknown as Out<K>;
  }

  async *stream<K extends StreamName>(method: K, init: In<K>, signal: AbortSignal): AsyncGenerator<Out<K>> {
    const m = FleetControlService.method[method];
    const handler = this.handlers[method] as unknown as (req: unknown, ctx: CallContext) => AsyncIterable<unknown>;
    for await (const item of handler(create(m.input as DescMessage, init as never), this.context(signal))) {
      yield create(m.output as DescMessage, item as never) as unknown as Out<K>;
    }
  }
}
