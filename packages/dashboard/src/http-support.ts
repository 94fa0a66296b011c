import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, type ApiErrorKind } from "@binfleet/api";

/**
 * Sent with every response: scripts, styles, images and connections only from the dashboard's own
 * origin (no inline script or style at all), no framing, no form posts elsewhere, no MIME sniffing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** Form bodies are a few fields: anything longer is refused before it is read whole. */
export const MAX_BODY_BYTES = 16 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
  }
}

/** The url-encoded form of a POST, read up to `limit` bytes. */
export async function readForm(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<URLSearchParams> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * A POST from a page of this dashboard: browsers name the page's origin (Origin) and whether it
 * is ours (Sec-Fetch-Site). A header that is present must say so; the CSRF token is checked besides.
 */
export function sameOrigin(req: IncomingMessage, secure: boolean): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `${secure ? "https" : "http"}://${req.headers.host ?? ""}`;
}

const STATUS: Record<ApiErrorKind, number> = {
  unauthenticated: 401,
  "permission-denied": 403,
  "not-found": 404,
  "invalid-argument": 400,
  "failed-precondition": 409,
  "resource-exhausted": 413,
};

/** The HTTP status and the message a browser may see: an ApiError's own, anything else generic (the log has it). */
export function statusOf(err: unknown): { status: number; message: string } {
  if (err instanceof ApiError) return { status: STATUS[err.kind], message: err.message };
  if (err instanceof BodyTooLargeError) return { status: 413, message: err.message };
  return { status: 500, message: "internal error (see the coordinator's log)" };
}

export function redirect(res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { Location: to, ...headers }).end();
}

/** Where a form may send the browser back to: a dashboard path, never another site. */
export function backTo(value: string | null, fallback: string): string {
  return value !== null && /^\/ui(\/[A-Za-z0-9._~%/-]*)?$/.test(value) ? value : fallback;
}
