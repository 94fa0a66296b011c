import { createHmac, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@binfleet/shared";
import * as z from "zod";
import type { PendingUpdatesReport } from "./nightly-report.js";

/**
 * `schedule.webhook`: a URL (the generic JSON report) or where and how to send it. "json" is the
 * report itself, signed when a secret is configured; "slack" is `{"text": …}`, which Slack's and
 * Mattermost's incoming webhooks both take.
 */
export const WebhookConfigSchema = z.union([
  z.string().url().transform((url) => ({ url, format: "json" as const, retries: 3 })),
  z.object({
    url: z.string().url(),
    format: z.enum(["json", "slack"]).default("json"),
    /** A file holding the HMAC-SHA256 key of the X-Binfleet-Signature-256 header (json only); read at each send. */
    secretFile: z.string().min(1).optional(),
    /** Further attempts after a failure (network, 5xx, 429), 1 s apart, then 2 s, 4 s, … */
    retries: z.number().int().min(0).max(10).default(3),
  }),
]);
export type WebhookConfig = z.output<typeof WebhookConfigSchema>;

export const SIGNATURE_HEADER = "X-Binfleet-Signature-256";
export const DELIVERY_HEADER = "X-Binfleet-Delivery";

/** The report as one chat message (Slack/Mattermost mrkdwn). */
export function reportText(r: PendingUpdatesReport): string {
  const out = [`*binfleet nightly report* (${r.trigger}, ${r.at})`];
  for (const p of r.platforms) {
    const notes = [p.waitingApproval > 0 ? `${p.waitingApproval} waiting for approval` : "", p.failed > 0 ? `${p.failed} failed` : "", p.fetchFailed ? "distfiles fetch failed" : ""].filter((n) => n !== "");
    out.push(`• ${p.name}: ${p.nodes} nodes, ${p.buildList} to build${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`);
  }
  if (r.nodesNotReported.length > 0) out.push(`Nodes that did not re-report: ${r.nodesNotReported.join(", ")}`);
  if (r.buildersNotSynced.length > 0) out.push(`Builders not synced: ${r.buildersNotSynced.join(", ")}`);
  for (const a of r.advisories) out.push(`New advisory GLSA ${a.id} [${a.severity}] ${a.title}: ${a.nodes.length} node${a.nodes.length === 1 ? "" : "s"} exposed`);
  return out.join("\n");
}

/** The HMAC-SHA256 of a body, as the signature header carries it. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Whether an answer is worth another try: the receiver may be back later. */
const retryable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

export interface WebhookSendOptions {
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** The first retry's delay; doubles each time (tests shorten it). */
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
}

/**
 * POSTs the report to the webhook, retrying failures with exponential backoff; every attempt of
 * one report carries the same delivery id, so a receiver can drop a repeat. Never throws: the
 * outcome is logged, and returned (true: delivered).
 */
export async function sendWebhook(report: PendingUpdatesReport, config: WebhookConfig, o: WebhookSendOptions): Promise<boolean> {
  const body = config.format === "slack" ? JSON.stringify({ text: reportText(report) }) : JSON.stringify(report);
  const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": "binfleet-coordinator", [DELIVERY_HEADER]: randomUUID() };
  if (config.format === "json" && "secretFile" in config && config.secretFile !== undefined) {
    try {
      headers[SIGNATURE_HEADER] = signature((await readFile(config.secretFile, "utf8")).trim(), body);
    } catch (err) {
      o.log.error({ file: config.secretFile, err: (err as Error).message }, "nightly webhook secret unreadable: report not sent");
      return false;
    }
  }
  const backoff = o.backoffMs ?? 1000;
  // Chat webhooks carry their secret in the path: only the host is logged.
  const target = new URL(config.url).host;
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    if (attempt > 0) {
      const wait = backoff * 2 ** (attempt - 1);
      try {
        await sleep(wait, undefined, o.signal === undefined ? {} : { signal: o.signal });
      } catch {
        return false;
      }
    }
    const timeout = AbortSignal.timeout(o.timeoutMs ?? 15_000);
    try {
      const r = await fetch(config.url, { method: "POST", headers, body, signal: o.signal === undefined ? timeout : AbortSignal.any([o.signal, timeout]) });
      await r.body?.cancel();
      if (r.ok) return true;
      o.log.warn({ status: r.status, attempt: attempt + 1, target }, "nightly webhook refused the report");
      if (!retryable(r.status)) return false;
    } catch (err) {
      o.log.warn({ err: (err as Error).message, attempt: attempt + 1, target }, "nightly webhook unreachable");
    }
    if (o.signal?.aborted === true) return false;
  }
  o.log.error({ attempts: config.retries + 1, target }, "nightly webhook gave up");
  return false;
}
