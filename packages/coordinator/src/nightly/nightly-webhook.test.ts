import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import type { PendingUpdatesReport } from "./nightly-report.js";
import { DELIVERY_HEADER, SIGNATURE_HEADER, WebhookConfigSchema, reportText, sendWebhook } from "./nightly-webhook.js";

const REPORT: PendingUpdatesReport = {
  at: "2026-12-04T02:31:10.000Z",
  trigger: "schedule",
  platforms: [
    { name: "amd64", key: "k1", nodes: 12, buildList: 5, waitingApproval: 2, failed: 1, fetchFailed: false },
    { name: "arm64", key: "k2", nodes: 3, buildList: 0, waitingApproval: 0, failed: 0, fetchFailed: true },
  ],
  nodesAsked: ["n1", "n2"],
  nodesNotReported: ["n2"],
  buildersNotSynced: [],
  advisories: [{ id: "202612-01", title: "OpenSSL: multiple vulnerabilities", severity: "high", nodes: ["n1", "n3"], platforms: ["k1"] }],
};

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver that answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token`, received, server };
}

/** What a receiver does to trust a delivery: its own HMAC of the raw body, compared in constant time. */
function verified(secret: string, r: Received): boolean {
  const given = Buffer.from(String(r.headers[SIGNATURE_HEADER.toLowerCase()] ?? ""));
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe("the nightly webhook", () => {
  let tmp: string;
  const servers: Server[] = [];
  const logged = new PassThrough();
  const log = createLogger({ name: "test", destination: logged });
  const start = async (statuses: number[] = []) => {
    const r = await receiver(statuses);
    servers.push(r.server);
    return r;
  };
  before(async () => void (tmp = await mkdtemp(join(tmpdir(), "binfleet-webhook-"))));
  after(async () => {
    for (const s of servers) s.close();
    await rm(tmp, { recursive: true, force: true });
  });

  test("generic JSON: the report itself, signed with HMAC-SHA256 of the body", async () => {
    const r = await start();
    const secretFile = join(tmp, "secret");
    await writeFile(secretFile, "s3cret-shared-with-the-receiver\n");
    const config = WebhookConfigSchema.parse({ url: r.url, secretFile });
    assert.equal(await sendWebhook(REPORT, config, { log }), true);
    assert.equal(r.received.length, 1);
    const got = r.received[0]!;
    assert.deepEqual(JSON.parse(got.body), REPORT);
    assert.equal(got.headers["content-type"], "application/json");
    assert.ok(verified("s3cret-shared-with-the-receiver", got), "the receiver's HMAC matches");
    assert.equal(verified("another secret", got), false, "a receiver with another secret refuses it");
    assert.equal(verified("s3cret-shared-with-the-receiver", { ...got, body: got.body.replace('"nodes":12', '"nodes":13') }), false, "a changed body does not verify");
  });

  test("a plain URL sends unsigned generic JSON", async () => {
    const r = await start();
    assert.equal(await sendWebhook(REPORT, WebhookConfigSchema.parse(r.url), { log }), true);
    assert.deepEqual(JSON.parse(r.received[0]!.body), REPORT);
    assert.equal(r.received[0]!.headers[SIGNATURE_HEADER.toLowerCase()], undefined);
  });

  test("Slack/Mattermost: {\"text\": …} with the report as lines", async () => {
    const r = await start();
    assert.equal(await sendWebhook(REPORT, WebhookConfigSchema.parse({ url: r.url, format: "slack" }), { log }), true);
    const body = JSON.parse(r.received[0]!.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["text"]);
    assert.equal(body["text"], reportText(REPORT));
    assert.deepEqual(reportText(REPORT).split("\n"), [
      "*binfleet nightly report* (schedule, 2026-12-04T02:31:10.000Z)",
      "• amd64: 12 nodes, 5 to build (2 waiting for approval, 1 failed)",
      "• arm64: 3 nodes, 0 to build (distfiles fetch failed)",
      "Nodes that did not re-report: n2",
      "New advisory GLSA 202612-01 [high] OpenSSL: multiple vulnerabilities: 2 nodes exposed",
    ]);
  });

  test("a receiver failing twice (500) gets the same delivery a third time; a 400 is not retried", async () => {
    const r = await start([500, 500]);
    const secretFile = join(tmp, "secret2");
    await writeFile(secretFile, "k");
    assert.equal(await sendWebhook(REPORT, WebhookConfigSchema.parse({ url: r.url, secretFile, retries: 3 }), { log, backoffMs: 10 }), true);
    assert.equal(r.received.length, 3);
    assert.equal(new Set(r.received.map((x) => x.headers[DELIVERY_HEADER.toLowerCase()])).size, 1, "one delivery id for every attempt");
    for (const x of r.received) assert.ok(verified("k", x));

    const refusing = await start([400, 500]);
    assert.equal(await sendWebhook(REPORT, WebhookConfigSchema.parse({ url: refusing.url, retries: 3 }), { log, backoffMs: 10 }), false);
    assert.equal(refusing.received.length, 1);
  });

  test("retries run out: the report is given up after 1 + retries attempts", async () => {
    const r = await start([503, 503, 503, 503]);
    assert.equal(await sendWebhook(REPORT, WebhookConfigSchema.parse({ url: r.url, retries: 2 }), { log, backoffMs: 5 }), false);
    assert.equal(r.received.length, 3);
  });

  test("the configuration refuses an unknown format and a webhook that is no URL", () => {
    assert.equal(WebhookConfigSchema.safeParse({ url: "https://chat.example.org/hooks/x", format: "teams" }).success, false);
    assert.equal(WebhookConfigSchema.safeParse("not a url").success, false);
  });
});
