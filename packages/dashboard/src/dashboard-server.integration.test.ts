// The dashboard's HTTP side against stand-in handlers that check roles as the API does: login and
// its cookie, CSRF and cross-site refusals, the security headers, escaping, size limits, the script.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { ApiTokens, type CallContext } from "@binfleet/api";
import { createLogger } from "@binfleet/daemon";
import { DashboardServer } from "./dashboard-server.js";
import type { FleetHandlers } from "./fleet-api.js";

const tokens = new ApiTokens([
  { name: "vera", role: "viewer", token: "viewer-token-0123456789" },
  { name: "otto", role: "operator", token: "operator-token-0123456789" },
]);
const hostile = "<img src=x onerror=window.__pwned=1>";

describe("the dashboard server", () => {
  let server: DashboardServer;
  const approved: string[][] = [];

  before(async () => {
    const handlers = {
      async listNodes(_req: unknown, ctx: CallContext) {
        tokens.authorize(ctx.metadata, "viewer");
        return { nodes: [{ nodeId: "n1", platformKey: "k1", platformName: "amd64", snapshotId: hostile, state: "pending", pendingBinary: 2, pendingCompile: 1 }] };
      },
      async approve(req: { variantIds: string[] }, ctx: CallContext) {
        tokens.authorize(ctx.metadata, "operator");
        approved.push(req.variantIds);
        return { approved: req.variantIds };
      },
      async listRollouts() {
        return { rollouts: [] };
      },
      async *watchBuilds(_req: unknown, ctx: CallContext) {
        await new Promise((r) => ctx.signal.addEventListener("abort", r));
      },
    } as unknown as FleetHandlers;
    server = await DashboardServer.start({ host: "127.0.0.1", port: 0, handlers, tokens, log: createLogger({ name: "t", level: "fatal", destination: new PassThrough() }) });
  });

  after(() => server.close());

  const at = (path: string): string => new URL(path, server.url).toString();
  const login = async (token: string): Promise<{ cookie: string; csrf: string }> => {
    const r = await fetch(at("/ui/login"), { method: "POST", body: new URLSearchParams({ token }), redirect: "manual" });
    assert.equal(r.status, 303);
    const cookie = r.headers.get("set-cookie")!;
    assert.match(cookie, /^binfleet_session=[\w-]{43}; Path=\/ui; HttpOnly; SameSite=Strict/);
    const id = cookie.split(";")[0]!;
    const page = await (await fetch(at("/ui/"), { headers: { cookie: id } })).text();
    return { cookie: id, csrf: /<meta name="csrf" content="([^"]+)">/.exec(page)![1]! };
  };
  const approve = (s: { cookie: string; csrf: string } | null, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(at("/ui/actions/approve"), { method: "POST", body: new URLSearchParams(fields), redirect: "manual", headers: { accept: "application/json", ...(s === null ? {} : { cookie: s.cookie }), ...headers } });

  test("every response has the strict CSP and no framing; without a session pages lead to the login", async () => {
    const r = await fetch(at("/ui/"), { redirect: "manual" });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get("location"), "/ui/login");
    assert.match(r.headers.get("content-security-policy")!, /^default-src 'self'; script-src 'self'; style-src 'self';.*frame-ancestors 'none'/);
    assert.equal(r.headers.get("x-frame-options"), "DENY");
    assert.equal((await fetch(at("/binhost/x"))).status, 404);
    assert.equal((await fetch(at("/ui/events"))).status, 401);
  });

  test("an unknown token gets no session", async () => {
    const r = await fetch(at("/ui/login"), { method: "POST", body: new URLSearchParams({ token: "nope-nope-nope-nope" }), redirect: "manual" });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get("set-cookie"), null);
    assert.match(await r.text(), /unknown token/);
  });

  test("what a node reported is text on the page, and the page has no inline script or style", async () => {
    const s = await login("viewer-token-0123456789");
    const page = await (await fetch(at("/ui/"), { headers: { cookie: s.cookie } })).text();
    assert.ok(page.includes("&lt;img src=x onerror=window.__pwned=1&gt;"));
    assert.ok(!page.includes(hostile));
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)|<style|<[^>]*\s(on\w+|style)=/);
    assert.match(page, /data-fleet="\*\.pendingBinaries">2</);
  });

  test("a POST needs its session's CSRF token and a same-origin page; the API's roles decide", async () => {
    const viewer = await login("viewer-token-0123456789");
    const operator = await login("operator-token-0123456789");
    const id = "0123456789abcdef";
    assert.equal((await approve(null, { variant: id })).status, 401, "no session");
    assert.equal((await approve(operator, { variant: id })).status, 403, "no CSRF token");
    assert.equal((await approve(operator, { variant: id, csrf: viewer.csrf })).status, 403, "another session's CSRF token");
    assert.equal((await approve(operator, { variant: id, csrf: operator.csrf }, { origin: "http://evil.example" })).status, 403, "another site's page");
    assert.equal((await approve(operator, { variant: id, csrf: operator.csrf }, { "sec-fetch-site": "cross-site" })).status, 403);
    const refused = await approve(viewer, { variant: id, csrf: viewer.csrf });
    assert.equal(refused.status, 403, "a viewer may not approve");
    assert.match(((await refused.json()) as { error: string }).error, /has role viewer; this needs operator/);
    assert.deepEqual(approved, []);
    const ok = await approve(operator, { variant: id, csrf: operator.csrf });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true, message: "approved 1 build" });
    assert.deepEqual(approved, [[id]]);
    assert.equal((await approve(operator, { variant: "<b>", csrf: operator.csrf })).status, 400);
    assert.equal((await approve(operator, { variant: id, csrf: operator.csrf, pad: "x".repeat(20_000) })).status, 413);
  });

  test("the script is small and served as JavaScript; live events start with the fleet's numbers", async () => {
    const js = await fetch(at("/ui/app.js"));
    assert.match(js.headers.get("content-type")!, /^text\/javascript/);
    const gz = gzipSync(Buffer.from(await js.arrayBuffer())).length;
    assert.ok(gz < 100 * 1024, `${gz} bytes gzipped`);
    const s = await login("viewer-token-0123456789");
    const ac = new AbortController();
    const r = await fetch(at("/ui/events"), { headers: { cookie: s.cookie }, signal: ac.signal });
    assert.match(r.headers.get("content-type")!, /^text\/event-stream/);
    const reader = r.body!.getReader();
    let text = "";
    while (!text.includes("event: fleet")) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    assert.match(text, /"pendingBinaries":2/);
  });
});
