import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FleetControlService } from "@binfleet/shared/wire";
import * as grpc from "@grpc/grpc-js";
import { ApiTokens } from "./access.js";
import { ApiError } from "./api-error.js";
import { API_MAX_REQUEST_BYTES, apiClientOptions } from "./limits.js";
import { type Client, type Handlers, addService, createClient } from "./grpc-bridge.js";

describe("grpc-js ↔ protobuf-es bridge", () => {
  let server: grpc.Server;
  let client: Client<typeof FleetControlService>;
  let address: string;
  let streamAborted: Promise<void>;
  let markAborted: () => void = () => undefined;
  const tokens = new ApiTokens([
    { name: "ops", token: "operator-token-0123456789", role: "operator" },
    { name: "ro", token: "viewer-token-0123456789", role: "viewer" },
  ]);

  before(async () => {
    streamAborted = new Promise((r) => (markAborted = r));
    const unimplemented = Object.fromEntries(FleetControlService.methods.map((m) => [m.localName, async () => Promise.reject(new Error("not in this test"))]));
    const handlers = {
      ...unimplemented,
      async listNodes(req, ctx) {
        tokens.authorize(ctx.metadata, "viewer");
        if (req.platformKey === "missing") throw new ApiError("not-found", "unknown platform 'missing'");
        if (req.platformKey === "boom") throw new Error("secret internal detail");
        return { nodes: [{ nodeId: "n1", platformKey: req.platformKey, lastReportUnixMs: 42n }] };
      },
      async approve(_req, ctx) {
        tokens.authorize(ctx.metadata, "operator");
        return { approved: ["x"] };
      },
      async *streamBuildLog(req, ctx) {
        try {
          for (let i = 0; i < 100_000; i++) {
            if (ctx.signal.aborted) return;
            yield { lines: [`${req.jobId} line ${i}`] };
          }
        } finally {
          if (ctx.signal.aborted) markAborted();
        }
      },
    } as Partial<Handlers<typeof FleetControlService>> as Handlers<typeof FleetControlService>;
    server = new grpc.Server({ "grpc.max_receive_message_length": API_MAX_REQUEST_BYTES });
    addService(server, FleetControlService, handlers, (err) =>
      err instanceof ApiError
        ? { name: err.name, message: err.message, code: err.kind === "not-found" ? grpc.status.NOT_FOUND : err.kind === "unauthenticated" ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED }
        : { name: "Error", message: "internal error", code: grpc.status.INTERNAL },
    );
    const port = await new Promise<number>((res, rej) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    address = `127.0.0.1:${port}`;
    client = createClient(FleetControlService, address);
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  const as = (token: string): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${token}`);
    return md;
  };

  test("unary round trip keeps 64-bit fields", async () => {
    const r = await client.listNodes({ platformKey: "amd64" }, { metadata: as("viewer-token-0123456789") });
    assert.equal(r.nodes[0]!.nodeId, "n1");
    assert.equal(r.nodes[0]!.lastReportUnixMs, 42n);
  });

  test("roles: viewer reads, only operator changes; no token and unknown tokens are unauthenticated", async () => {
    await assert.rejects(client.approve({}, { metadata: as("viewer-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED && /role viewer/.test(e.details));
    assert.deepEqual((await client.approve({}, { metadata: as("operator-token-0123456789") })).approved, ["x"]);
    await assert.rejects(client.listNodes({}), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    await assert.rejects(client.listNodes({}, { metadata: as("forged-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED && e.details === "unknown token");
  });

  test("domain errors keep their status and message; others become INTERNAL without details", async () => {
    await assert.rejects(client.listNodes({ platformKey: "missing" }, { metadata: as("viewer-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && /missing/.test(e.details));
    await assert.rejects(client.listNodes({ platformKey: "boom" }, { metadata: as("viewer-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.INTERNAL && !e.details.includes("secret"));
  });

  test("an oversized request is refused by the server with RESOURCE_EXHAUSTED; that client and the others keep being served", async () => {
    // Its own connection (grpc-js pools subchannels per target), to see that this one stays usable.
    const hostile = createClient(FleetControlService, address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    try {
      await assert.rejects(hostile.listNodes({ platformKey: "x".repeat(API_MAX_REQUEST_BYTES + 1024) }, { metadata: as("viewer-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED && /Received message larger than max/.test(e.details));
      assert.equal((await hostile.listNodes({ platformKey: "ok" }, { metadata: as("viewer-token-0123456789"), deadline: Date.now() + 10_000 })).nodes.length, 1);
    } finally {
      hostile.close();
    }
    assert.equal((await client.listNodes({ platformKey: "ok" }, { metadata: as("viewer-token-0123456789") })).nodes.length, 1);
  });

  test("the CLI's client refuses an oversized request itself, without sending it", async () => {
    const cli = createClient(FleetControlService, address, grpc.credentials.createInsecure(), { ...apiClientOptions, "grpc.use_local_subchannel_pool": 1 });
    try {
      await assert.rejects(cli.listNodes({ platformKey: "x".repeat(API_MAX_REQUEST_BYTES + 1024) }, { metadata: as("viewer-token-0123456789") }), (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED && /Attempted to send message with a size larger than/.test(e.details));
      assert.equal((await cli.listNodes({ platformKey: "ok" }, { metadata: as("viewer-token-0123456789"), deadline: Date.now() + 10_000 })).nodes.length, 1);
    } finally {
      cli.close();
    }
  });

  test("server streaming; a client that stops reading cancels the server's generator", async () => {
    let n = 0;
    for await (const chunk of client.streamBuildLog({ jobId: "j" })) {
      assert.equal(chunk.lines[0], `j line ${n}`);
      if (++n === 50) break;
    }
    await streamAborted;
  });
});
