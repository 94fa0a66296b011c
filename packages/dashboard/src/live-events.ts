import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, clip } from "@binfleet/shared";
import { buildStateName } from "./build-pages.js";
import type { FleetApi } from "./fleet-api.js";
import { summarizeFleet } from "./fleet-summary.js";
import { rolloutProgress } from "./rollout-pages.js";

export interface LiveOptions {
  readonly log: Logger;
  /** How often the fleet's numbers and the rollouts' progress are looked at (ms). */
  readonly fleetEveryMs: number;
  readonly rolloutsEveryMs: number;
  /** Event streams open at once at most (each holds a connection and a build watcher). */
  readonly maxClients: number;
}

const BUILD_ID = /^[0-9a-f]{8,40}$/;
const PING_MS = 15_000;

/**
 * /ui/events: one server-sent-event stream per open page. Build changes and log lines come as the
 * coordinator's build board and log stream push them (the API's WatchBuilds and StreamBuildLog);
 * the fleet's numbers and rollouts' progress are read every second or two and sent when they
 * changed. Those reads are shared by every open page (one computation per period, not per page):
 * each stream belongs to a session that the API accepted at login.
 */
export class LiveEvents {
  private clients = 0;
  private readonly shared = new Map<string, { at: number; value: Promise<string> }>();

  constructor(private readonly o: LiveOptions) {}

  get open(): number {
    return this.clients;
  }

  /** The value of `key`, computed at most once per `everyMs` across all streams. */
  private read(key: string, everyMs: number, compute: () => Promise<string>): Promise<string> {
    const now = Date.now();
    const hit = this.shared.get(key);
    if (hit !== undefined && now - hit.at < everyMs) return hit.value;
    const value = compute();
    this.shared.set(key, { at: now, value });
    value.catch(() => this.shared.delete(key));
    return value;
  }

  serve(req: IncomingMessage, res: ServerResponse, api: FleetApi, url: URL): void {
    if (this.clients >= this.o.maxClients) {
      res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "10" }).end("too many live pages open\n");
      return;
    }
    this.clients++;
    const ac = new AbortController();
    const { signal } = ac;
    req.on("close", () => ac.abort());
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" });
    res.write("retry: 3000\n\n");
    // JSON text never holds a newline: it goes in one data line as it is.
    const sendJson = (event: string, json: string): void => {
      if (!signal.aborted) res.write(`event: ${event}\ndata: ${json}\n\n`);
    };
    const send = (event: string, data: unknown): void => sendJson(event, JSON.stringify(data));
    const loops = [this.poll("fleet", this.o.fleetEveryMs, sendJson, signal, async () => JSON.stringify(summarizeFleet((await api.call("listNodes", {}, signal)).nodes))), this.poll("rollouts", this.o.rolloutsEveryMs, sendJson, signal, async () => JSON.stringify((await api.call("listRollouts", { limit: 50 }, signal)).rollouts.map(rolloutProgress))), this.builds(api, send, signal), this.ping(res, signal)];
    const build = url.searchParams.get("build") ?? "";
    if (BUILD_ID.test(build)) loops.push(this.logLines(api, build, Number.parseInt(url.searchParams.get("from") ?? "0", 10) || 0, send, signal));
    void Promise.allSettled(loops).then(() => {
      this.clients--;
      res.end();
    });
    signal.addEventListener("abort", () => res.end(), { once: true });
  }

  /** Sends the shared JSON text of `event` whenever it changes; every page reads the same text. */
  private async poll(event: string, everyMs: number, sendJson: (e: string, json: string) => void, signal: AbortSignal, compute: () => Promise<string>): Promise<void> {
    let last = "";
    while (!signal.aborted) {
      try {
        const now = await this.read(event, everyMs, compute);
        if (now !== last) sendJson(event, now);
        last = now;
      } catch (err) {
        if (signal.aborted) return;
        this.o.log.warn({ event, err: clip((err as Error).message) }, "dashboard live read failed");
      }
      await sleep(everyMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async builds(api: FleetApi, send: (e: string, d: unknown) => void, signal: AbortSignal): Promise<void> {
    try {
      for await (const { build } of api.stream("watchBuilds", { platformKey: "" }, signal)) {
        if (build?.job !== undefined) send("build", { id: build.job.id, cpv: build.job.cpv, state: buildStateName(build.result?.state) });
      }
    } catch (err) {
      if (!signal.aborted) this.o.log.warn({ err: clip((err as Error).message) }, "dashboard build watch failed");
    }
  }

  /** The build's log from line `from` on (the page has the lines before), until the build ends or the page closes. */
  private async logLines(api: FleetApi, build: string, from: number, send: (e: string, d: unknown) => void, signal: AbortSignal): Promise<void> {
    let seen = 0;
    try {
      for await (const { lines } of api.stream("streamBuildLog", { jobId: build, follow: true }, signal)) {
        const fresh = lines.slice(Math.max(0, from - seen));
        seen += lines.length;
        if (fresh.length > 0) send("log", { build, lines: fresh });
      }
    } catch (err) {
      // A build still waiting has no log yet: the page shows the lines once it is reloaded.
      if (!signal.aborted) this.o.log.debug({ build, err: clip((err as Error).message) }, "dashboard log follow ended");
    }
  }

  private async ping(res: ServerResponse, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(PING_MS, undefined, { signal }).catch(() => undefined);
      if (!signal.aborted) res.write(": ping\n\n");
    }
  }
}
