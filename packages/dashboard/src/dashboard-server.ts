import { readFile } from "node:fs/promises";
import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type ApiTokens, ApiError } from "@binfleet/api";
import { type Logger, clip } from "@binfleet/shared";
import { isAction, runAction } from "./actions.js";
import { buildPage, buildsPage } from "./build-pages.js";
import { FleetApi, type FleetHandlers } from "./fleet-api.js";
import { type PageContent, fleetPage, nodePage } from "./fleet-pages.js";
import { html } from "./html.js";
import { SECURITY_HEADERS, backTo, cookie, readForm, redirect, sameOrigin, statusOf } from "./http-support.js";
import { UI, page } from "./layout.js";
import { LiveEvents } from "./live-events.js";
import { advisoriesPage, driftPage } from "./report-pages.js";
import { rolloutPage, rolloutsPage } from "./rollout-pages.js";
import { type Session, Sessions, csrfMatches } from "./sessions.js";

export interface DashboardOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The ops API's handlers and tokens: the dashboard is one more way into the same API. */
  readonly handlers: FleetHandlers;
  readonly tokens: ApiTokens;
  readonly log: Logger;
  readonly sessionHours?: number;
  /** How often live pages get the fleet's numbers (ms; default 2000) and rollouts' progress (default 1000). */
  readonly fleetEveryMs?: number;
  readonly rolloutsEveryMs?: number;
}

const COOKIE = "binfleet_session";

async function asset(name: string): Promise<Buffer> {
  return readFile(new URL(name, import.meta.url));
}

function loginPage(message: string): string {
  return page(
    "Log in",
    null,
    html`${message === "" ? null : html`<p class="error">${message}</p>`}<form method="post" action="${UI}/login" class="login"><label>API token <input type="password" name="token" autocomplete="current-password" required autofocus></label> <button type="submit">Log in</button></form>
<p>The token of <code>binfleet --token</code>: a viewer reads, an operator also approves, holds and runs rollouts.</p>`,
  );
}

/**
 * The fleet dashboard over HTTP(S), on its own port. Why not the binhost's port: that one faces
 * every node (and may be replaced by nginx serving files), and stays a plain file server; the
 * dashboard carries operators' sessions and actions, so it is bound like the ops API (loopback by
 * default) and can be exposed, or not, on its own. gRPC's port cannot serve browsers.
 */
export class DashboardServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly live: LiveEvents,
  ) {}

  static async start(o: DashboardOptions): Promise<DashboardServer> {
    const secure = o.tls !== undefined;
    const assets = { "app.js": await asset("./client/app.js"), "style.css": await asset("../assets/style.css") };
    const sessions = new Sessions({ ttlMs: (o.sessionHours ?? 12) * 3600_000, max: 10_000 });
    const live = new LiveEvents({ log: o.log, fleetEveryMs: o.fleetEveryMs ?? 2000, rolloutsEveryMs: o.rolloutsEveryMs ?? 1000, maxClients: 200 });
    const cookieAttrs = `Path=${UI}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;

    const sendPage = (res: ServerResponse, status: number, text: string): void => {
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(text);
    };
    const fail = (req: IncomingMessage, res: ServerResponse, session: Session | null, err: unknown): void => {
      const { status, message } = statusOf(err);
      if (status === 500) o.log.error({ url: clip(req.url ?? ""), err }, "dashboard request failed");
      if (res.headersSent) return void res.destroy();
      if (status === 401) return redirect(res, `${UI}/login`);
      if (req.method === "POST" && req.headers.accept === "application/json") {
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ ok: false, error: message }));
        return;
      }
      sendPage(res, status, page(status === 403 ? "Not allowed" : "Error", session, html`<p class="error">${message}</p>`));
    };

    const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
      const path = url.pathname;
      if (req.method === "GET" && (path === `${UI}/app.js` || path === `${UI}/style.css`)) {
        const name = path === `${UI}/app.js` ? "app.js" : "style.css";
        res.writeHead(200, { "Content-Type": name === "app.js" ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", "Cache-Control": "no-cache" }).end(assets[name]);
        return;
      }
      if (req.method !== "GET" && req.method !== "POST") return void res.writeHead(405, { Allow: "GET, POST" }).end();
      if (req.method === "POST" && !sameOrigin(req, secure)) throw new ApiError("permission-denied", "cross-site request refused");
      if (path === `${UI}/login`) {
        if (req.method === "GET") return sendPage(res, 200, loginPage(""));
        const token = (await readForm(req)).get("token") ?? "";
        let caller;
        try {
          caller = o.tokens.check(token, "viewer");
        } catch (err) {
          o.log.warn({ peer: req.socket.remoteAddress }, "dashboard login refused");
          return sendPage(res, 401, loginPage(err instanceof ApiError ? err.message : "refused"));
        }
        const s = sessions.create(token, caller);
        o.log.info({ by: caller.name, role: caller.role, peer: req.socket.remoteAddress }, "dashboard login");
        return redirect(res, `${UI}/`, { "Set-Cookie": `${COOKIE}=${s.id}; ${cookieAttrs}; Max-Age=${(o.sessionHours ?? 12) * 3600}` });
      }
      const session = sessions.get(cookie(req, COOKIE));
      if (session === null) {
        if (req.method === "GET" && path !== `${UI}/events`) return redirect(res, `${UI}/login`);
        // An event stream or a script's request: a status it can act on, not a login page.
        return void res.writeHead(401, { "Content-Type": "text/plain" }).end("log in first\n");
      }
      const api = new FleetApi(o.handlers, session.token, `dashboard ${req.socket.remoteAddress ?? ""}`);
      try {
        if (req.method === "POST") return await post(req, res, url, session, api);
        if (path === `${UI}/events`) return live.serve(req, res, api, url);
        const ac = new AbortController();
        req.on("close", () => ac.abort());
        const content = await view(path, url, session, api, ac.signal);
        if (content === null) return sendPage(res, 404, page("Not found", session, html`<p>No page ${path}.</p>`));
        sendPage(res, 200, page(content.title, session, content.body));
      } catch (err) {
        fail(req, res, session, err);
      }
    };

    const post = async (req: IncomingMessage, res: ServerResponse, url: URL, session: Session, api: FleetApi): Promise<void> => {
      const form = await readForm(req);
      if (!csrfMatches(session, form.get("csrf") ?? undefined)) throw new ApiError("permission-denied", "the form's CSRF token is not this session's: reload the page");
      if (url.pathname === `${UI}/logout`) {
        sessions.drop(session.id);
        return redirect(res, `${UI}/login`, { "Set-Cookie": `${COOKIE}=; ${cookieAttrs}; Max-Age=0` });
      }
      const name = url.pathname.startsWith(`${UI}/actions/`) ? url.pathname.slice(`${UI}/actions/`.length) : "";
      if (!isAction(name)) throw new ApiError("not-found", `no action ${clip(name, 64)}`);
      const result = await runAction(name, form, api);
      if (req.headers.accept === "application/json") {
        res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify({ ok: true, ...result }));
        return;
      }
      redirect(res, backTo(form.get("back"), `${UI}/`));
    };

    const listener: RequestListener = (req, res) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      let url: URL;
      try {
        url = new URL(req.url ?? "/", "http://dashboard");
      } catch {
        return void res.writeHead(400).end();
      }
      if (url.pathname === UI || url.pathname === "/") return redirect(res, `${UI}/`);
      if (!url.pathname.startsWith(`${UI}/`)) return void res.writeHead(404).end();
      route(req, res, url).catch((err: unknown) => fail(req, res, null, err));
    };
    const server = o.tls === undefined ? createServer(listener) : createTlsServer({ cert: await readFile(o.tls.cert), key: await readFile(o.tls.key) }, listener);
    server.headersTimeout = 20_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    return new DashboardServer(server, `${secure ? "https" : "http"}://${host}:${addr.port}${UI}/`, live);
  }

  /** Live pages open now. */
  get liveClients(): number {
    return this.live.open;
  }

  /** Ends live streams and open connections, then stops listening. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function view(path: string, url: URL, s: Session, api: FleetApi, signal: AbortSignal): Promise<PageContent | null> {
  const seg = path.slice(UI.length + 1).split("/");
  if (seg.length > 2) return null;
  let arg: string;
  try {
    arg = decodeURIComponent(seg[1] ?? "");
  } catch {
    return null;
  }
  switch (seg[0]) {
    case "":
      return seg.length === 1 ? fleetPage(api, url) : null;
    case "nodes":
      return arg === "" ? null : nodePage(api, arg);
    case "builds":
      return arg === "" ? buildsPage(api, s, url) : buildPage(api, s, arg, signal);
    case "rollouts":
      return arg === "" ? rolloutsPage(api, s) : rolloutPage(api, s, arg, url);
    case "drift":
      return driftPage(api, url);
    case "advisories":
      return advisoriesPage(api, url);
    default:
      return null;
  }
}
