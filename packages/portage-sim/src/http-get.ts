import { createWriteStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { pipeline } from "node:stream/promises";

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** true when the first answer was a 401 Basic challenge and the retry carried credentials. */
  readonly challenged: boolean;
}

/** `http://user:pass@host/…` → the URL without credentials, and the Authorization value if any. */
export function splitCredentials(url: string): { url: URL; authorization: string | null } {
  const u = new URL(url);
  const authorization = u.username === "" ? null : `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
  u.username = "";
  u.password = "";
  return { url: u, authorization };
}

/** The URL as Portage prints it: the password replaced by `*password*`. */
export function maskPassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@/]*@/, "$1:*password*@");
}

function once(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<Omit<HttpResponse, "challenged">> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.get(url, { headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/**
 * GET as Portage's clients do: no credentials up front; on a 401 with a Basic
 * challenge, retry once with the credentials from the URL.
 */
export async function httpGet(url: string, headers: Record<string, string>, timeoutMs = 30_000): Promise<HttpResponse> {
  const { url: clean, authorization } = splitCredentials(url);
  const first = await once(clean, headers, timeoutMs);
  const challenge = first.headers["www-authenticate"];
  if (first.status === 401 && authorization !== null && typeof challenge === "string" && /^basic/i.test(challenge)) {
    const second = await once(clean, { ...headers, Authorization: authorization }, timeoutMs);
    return { ...second, challenged: true };
  }
  return { ...first, challenged: false };
}

export interface DownloadResult {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  /** Bytes written to the file (0 unless status was 200). */
  readonly bytes: number;
}

/**
 * GET into a file, streamed (distfiles can be large): the body is written to `dest` only on a
 * 200; any other status leaves no file.
 */
export function httpDownload(url: string, headers: Record<string, string>, dest: string, timeoutMs = 60_000): Promise<DownloadResult> {
  const { url: clean } = splitCredentials(url);
  return new Promise((resolve, reject) => {
    const mod = clean.protocol === "https:" ? https : http;
    const req = mod.get(clean, { headers, timeout: timeoutMs }, (res) => {
      const base = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", contentType: String(res.headers["content-type"] ?? "application/octet-stream") };
      if (res.statusCode !== 200) {
        res.resume();
        res.on("end", () => resolve({ ...base, bytes: 0 }));
        return;
      }
      let bytes = 0;
      res.on("data", (c: Buffer) => void (bytes += c.length));
      const file = createWriteStream(dest);
      pipeline(res, file).then(() => resolve({ ...base, bytes }), reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}
