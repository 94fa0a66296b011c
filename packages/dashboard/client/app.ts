// The dashboard's only script: live updates over server-sent events and forms sent without
// leaving the page. Everything from the server is set as text (textContent), never as markup.

interface RolloutProgress {
  id: string;
  state: string;
  reason: string;
  platformKey: string;
  purpose: string;
  total: number;
  done: number;
  text: string;
}

const all = (selector: string): HTMLElement[] => [...document.querySelectorAll<HTMLElement>(selector)];
const byData = (attr: string, value: string): HTMLElement[] => all(`[${attr}]`).filter((e) => e.getAttribute(attr) === value);

function flash(text: string, error: boolean): void {
  const f = document.getElementById("flash");
  if (f === null) return;
  f.textContent = text;
  f.classList.toggle("error", error);
}

function setState(el: HTMLElement, state: string): void {
  el.textContent = state;
  for (const c of [...el.classList]) if (c.startsWith("state-")) el.classList.remove(c);
  el.classList.add(`state-${state}`);
}

function onFleet(data: { total: Record<string, number>; platforms: (Record<string, number> & { key: string })[] }): void {
  const scopes: [string, Record<string, number>][] = [["*", data.total], ...data.platforms.map((p): [string, Record<string, number>] => [p.key, p])];
  for (const [scope, counts] of scopes) {
    for (const [field, n] of Object.entries(counts)) for (const el of byData("data-fleet", `${scope}.${field}`)) el.textContent = String(n);
  }
}

function onBuild(b: { id: string; state: string }): void {
  for (const el of byData("data-build-state", b.id)) setState(el, b.state);
  // Approve and Hold are for builds still waiting.
  if (b.state !== "waiting-approval") for (const row of byData("data-build", b.id)) for (const f of row.querySelectorAll("form")) f.remove();
}

function rolloutCell(text: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/** A rollout started since the page was made: a row like the server's (without its buttons). */
function addRolloutRow(r: RolloutProgress): void {
  const body = document.querySelector("#rollouts tbody");
  if (body === null) return;
  const tr = document.createElement("tr");
  tr.setAttribute("data-rollout", r.id);
  const link = document.createElement("a");
  link.href = `/ui/rollouts/${encodeURIComponent(r.id)}`;
  link.textContent = r.id;
  const id = rolloutCell("");
  id.append(link);
  const state = rolloutCell(r.state);
  state.setAttribute("data-rollout-state", r.id);
  const progress = document.createElement("progress");
  progress.setAttribute("data-rollout-progress", r.id);
  const text = document.createElement("span");
  text.setAttribute("data-rollout-text", r.id);
  const cell = rolloutCell("");
  cell.append(progress, " ", text);
  const reason = rolloutCell(r.reason);
  reason.setAttribute("data-rollout-reason", r.id);
  tr.append(id, rolloutCell(r.purpose || r.platformKey || "all platforms"), state, cell, reason, rolloutCell(""));
  body.prepend(tr);
}

function onRollouts(list: RolloutProgress[]): void {
  const onListPage = location.pathname === "/ui/rollouts";
  for (const r of list) {
    if (onListPage && byData("data-rollout", r.id).length === 0) addRolloutRow(r);
    for (const el of byData("data-rollout-state", r.id)) el.textContent = r.state;
    for (const el of byData("data-rollout-reason", r.id)) el.textContent = r.reason;
    for (const el of byData("data-rollout-text", r.id)) el.textContent = r.text;
    for (const el of byData("data-rollout-progress", r.id)) {
      (el as HTMLProgressElement).max = Math.max(1, r.total);
      (el as HTMLProgressElement).value = r.done;
    }
  }
}

function onLog(data: { build: string; lines: string[] }): void {
  for (const pre of byData("data-build-log", data.build)) {
    for (const line of data.lines) {
      const span = document.createElement("span");
      span.textContent = `${line}\n`;
      pre.append(span);
    }
    pre.setAttribute("data-lines", String(Number(pre.getAttribute("data-lines") ?? "0") + data.lines.length));
    pre.scrollTop = pre.scrollHeight;
  }
}

function connect(): void {
  const log = document.querySelector<HTMLElement>("[data-build-log]");
  const q = log === null ? "" : `?build=${encodeURIComponent(log.getAttribute("data-build-log") ?? "")}&from=${encodeURIComponent(log.getAttribute("data-lines") ?? "0")}`;
  const events = new EventSource(`/ui/events${q}`);
  const live = document.getElementById("live");
  const handlers: Record<string, (data: never) => void> = { fleet: onFleet, build: onBuild, rollouts: onRollouts, log: onLog };
  for (const [name, handle] of Object.entries(handlers)) events.addEventListener(name, (e) => handle(JSON.parse((e as MessageEvent<string>).data) as never));
  const showLive = (on: boolean): void => {
    if (live === null) return;
    live.textContent = on ? "live" : "reconnecting";
    live.classList.toggle("on", on);
  };
  events.addEventListener("open", () => showLive(true));
  events.addEventListener("error", () => showLive(false));
}

/** Action forms go by fetch: the page stays, the live events show what follows. */
function sendFormsInPlace(): void {
  document.addEventListener("submit", (e) => {
    const form = e.target as HTMLFormElement;
    if (!form.hasAttribute("data-async")) return;
    e.preventDefault();
    const body = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === "string") body.append(k, v);
    fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(async (r) => {
        const reply = (await r.json().catch(() => ({ ok: false, error: `HTTP ${r.status}` }))) as { ok: boolean; message?: string; error?: string };
        flash(reply.ok ? (reply.message ?? "done") : `refused (${r.status}): ${reply.error ?? ""}`, !reply.ok);
        // An approved build is queued (only approve forms name a variant); the build board reports it
        // again once a builder takes it, which may have happened already.
        const variant = body.get("variant");
        if (reply.ok && variant !== null && byData("data-build-state", variant).some((e) => e.textContent === "waiting-approval")) onBuild({ id: variant, state: "queued" });
      })
      .catch((err: unknown) => flash(`not sent: ${String(err)}`, true));
  });
}

sendFormsInPlace();
connect();
