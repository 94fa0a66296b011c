// grpc-js serving and calling protobuf-es v2 services. protoc-gen-es v2 emits
// descriptors (GenService), not grpc-js stubs; this maps one onto the other.
// Unary and server-streaming only: FleetControl needs nothing else.
import { once } from "node:events";
import { type DescMessage, type DescMethod, type MessageInitShape, type MessageShape, create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";

type AnyService = GenService<GenServiceMethods>;

// grpc-js calls Buffer methods (.copy) on what serialize returns: wrap, don't copy.
function encode(desc: DescMessage, v: unknown): Buffer {
  const u8 = toBinary(desc, isMessage(v, desc) ? v : create(desc, v as MessageInitShape<DescMessage>));
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

// Decode from a plain Uint8Array view: otherwise `bytes` fields come out as Buffer.
const decode = (desc: DescMessage, b: Buffer): unknown => fromBinary(desc, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

function methodDefinition(m: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${m.parent.typeName}/${m.name}`,
    originalName: m.localName,
    requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
    responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
    requestSerialize: (v) => encode(m.input, v),
    requestDeserialize: (b) => decode(m.input, b),
    responseSerialize: (v) => encode(m.output, v),
    responseDeserialize: (b) => decode(m.output, b),
  };
}

/** grpc-js ServiceDefinition keyed by localName ("listNodes"). */
export const grpcDefinition = (s: AnyService): grpc.ServiceDefinition => Object.fromEntries(s.methods.map((m) => [m.localName, methodDefinition(m)]));

type Methods<S extends AnyService> = S["method"];
type In<M extends DescMethod> = MessageShape<M["input"]>;
type OutInit<M extends DescMethod> = MessageInitShape<M["output"]>;

export interface CallContext {
  /** Aborted on client cancel or deadline, never after a normal finish. */
  readonly signal: AbortSignal;
  readonly metadata: grpc.Metadata;
  readonly peer: string;
}

export type Handlers<S extends AnyService> = {
  [K in keyof Methods<S>]: Methods<S>[K]["methodKind"] extends "unary"
    ? (req: In<Methods<S>[K]>, ctx: CallContext) => Promise<OutInit<Methods<S>[K]>>
    : Methods<S>[K]["methodKind"] extends "server_streaming"
      ? (req: In<Methods<S>[K]>, ctx: CallContext) => AsyncIterable<OutInit<Methods<S>[K]>>
      : never;
};

/** Maps a thrown error to a status (`method` for the log). The one place domain errors meet the wire. */
export type ErrorMapper = (err: unknown, method: string) => grpc.ServerErrorResponse;

function contextOf(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): { ctx: CallContext; finish: () => void } {
  const ac = new AbortController();
  let finished = false;
  // grpc-js also emits 'cancelled' after it has sent a normal status: ignore that one.
  call.once("cancelled", () => {
    if (!finished) ac.abort(new Error("call cancelled or deadline exceeded"));
  });
  return { ctx: { signal: ac.signal, metadata: call.metadata, peer: call.getPeer() }, finish: () => void (finished = true) };
}

export function addService<S extends AnyService>(server: grpc.Server, service: S, handlers: Handlers<S>, toError: ErrorMapper): void {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of service.methods) {
    const h = (handlers as Record<string, ((req: unknown, ctx: CallContext) => unknown) | undefined>)[m.localName];
    if (h === undefined) throw new Error(`${m.parent.typeName}/${m.name}: no handler`);
    if (m.methodKind === "unary") {
      impl[m.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const { ctx, finish } = contextOf(call);
        // The async wrapper turns a synchronous throw into a rejection, mapped like any other.
        (async () => h(call.request, ctx))().then(
          (res) => {
            finish();
            cb(null, res);
          },
          (err: unknown) => {
            finish();
            cb(toError(err, m.name));
          },
        );
      };
    } else if (m.methodKind === "server_streaming") {
      impl[m.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const { ctx, finish } = contextOf(call);
        void (async () => {
          try {
            for await (const item of h(call.request, ctx) as AsyncIterable<unknown>) {
              if (ctx.signal.aborted) return;
              if (!call.write(item)) await once(call, "drain", { signal: ctx.signal });
            }
            finish();
            call.end();
          } catch (err) {
            if (ctx.signal.aborted) return;
            finish();
            // grpc-js turns an 'error' event into the status; destroy(err) would leave the client hanging.
            call.emit("error", toError(err, m.name));
          }
        })();
      };
    } else {
      throw new Error(`${m.parent.typeName}/${m.name}: ${m.methodKind} is not supported`);
    }
  }
  server.addService(grpcDefinition(service), impl);
}

export interface CallOptions {
  deadline?: grpc.Deadline;
  metadata?: grpc.Metadata;
  signal?: AbortSignal;
}

export type Client<S extends AnyService> = {
  [K in keyof Methods<S>]: Methods<S>[K]["methodKind"] extends "unary"
    ? (req: MessageInitShape<Methods<S>[K]["input"]>, o?: CallOptions) => Promise<MessageShape<Methods<S>[K]["output"]>>
    : Methods<S>[K]["methodKind"] extends "server_streaming"
      ? (req: MessageInitShape<Methods<S>[K]["input"]>, o?: CallOptions) => AsyncGenerator<MessageShape<Methods<S>[K]["output"]>, void>
      : never;
} & { close(): void };

type RawCall = grpc.ClientUnaryCall | grpc.ClientReadableStream<unknown>;
type RawMethod = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb?: (e: grpc.ServiceError | null, r?: unknown) => void) => RawCall;

function start(o: CallOptions, defaults: CallOptions, fire: (md: grpc.Metadata, opts: grpc.CallOptions) => RawCall): RawCall {
  const metadata = defaults.metadata?.clone() ?? new grpc.Metadata();
  if (o.metadata !== undefined) metadata.merge(o.metadata);
  const call = fire(metadata, o.deadline === undefined ? {} : { deadline: o.deadline });
  if (o.signal?.aborted) call.cancel();
  else o.signal?.addEventListener("abort", () => call.cancel(), { once: true });
  return call;
}

async function* iterate(stream: grpc.ClientReadableStream<unknown>): AsyncGenerator<unknown, void> {
  try {
    yield* stream;
  } finally {
    // A consumer's `break` only destroys the Readable; without cancel the server keeps producing.
    stream.cancel();
  }
}

/** A client of `service`; `defaults.metadata` goes with every call (a call's own metadata adds to it). */
export function createClient<S extends AnyService>(service: S, address: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}, defaults: CallOptions = {}): Client<S> {
  const Ctor = grpc.makeGenericClientConstructor(grpcDefinition(service), service.typeName);
  const raw = new Ctor(address, creds, options) as unknown as Record<string, RawMethod> & grpc.Client;
  const api: Record<string, unknown> = { close: () => raw.close() };
  for (const m of service.methods) {
    const fn = raw[m.localName]!.bind(raw);
    if (m.methodKind === "unary") {
      api[m.localName] = (req: unknown, o: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          start(o, defaults, (md, opts) => fn(req, md, opts, (err, res) => (err ? reject(err) : resolve(res))));
        });
    } else if (m.methodKind === "server_streaming") {
      api[m.localName] = (req: unknown, o: CallOptions = {}) => iterate(start(o, defaults, (md, opts) => fn(req, md, opts)) as grpc.ClientReadableStream<unknown>);
    }
  }
  return api as Client<S>;
}
