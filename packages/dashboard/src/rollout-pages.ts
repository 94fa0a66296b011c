import type { Rollout } from "@binfleet/shared/wire";
import type { FleetApi } from "./fleet-api.js";
import type { PageContent } from "./fleet-pages.js";
import { type SafeHtml, html } from "./html.js";
import { UI, actionForm, canOperate, csrfField, pager, paginate, table, when } from "./layout.js";
import type { Session } from "./sessions.js";

const NODES_PER_PAGE = 200;

/** A rollout's progress in numbers: what the page shows and the live events carry. */
export interface RolloutProgress {
  readonly id: string;
  readonly state: string;
  readonly reason: string;
  readonly platformKey: string;
  readonly purpose: string;
  readonly total: number;
  /** Nodes finished either way (succeeded, failed, current). */
  readonly done: number;
  readonly text: string;
}

export function rolloutProgress(r: Rollout): RolloutProgress {
  const c = r.nodeStates;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const done = (c["succeeded"] ?? 0) + (c["failed"] ?? 0) + (c["current"] ?? 0);
  const text = Object.entries(c)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return { id: r.id, state: r.state, reason: r.reason, platformKey: r.options?.platformKey ?? "", purpose: r.options?.purpose ?? "", total, done, text: `${done}/${total} done (${text || "no nodes"})` };
}

function controls(s: Session, p: RolloutProgress, back: string): SafeHtml | null {
  if (!canOperate(s) || p.state === "done" || p.state === "aborted") return null;
  return html`${p.state === "running" ? actionForm(s, "rollout-control", { rollout: p.id, action: "pause" }, "Pause", back) : null}${
    p.state === "paused" || p.state === "halted" ? actionForm(s, "rollout-control", { rollout: p.id, action: "resume" }, "Resume", back) : null
  }${actionForm(s, "rollout-control", { rollout: p.id, action: "abort" }, "Abort", back, "danger")}`;
}

export function rolloutRow(s: Session, p: RolloutProgress, back: string): SafeHtml {
  return html`<tr data-rollout="${p.id}"><td><a href="${UI}/rollouts/${encodeURIComponent(p.id)}">${p.id}</a></td><td>${p.purpose || p.platformKey || "all platforms"}</td><td class="state" data-rollout-state="${p.id}">${p.state}</td><td><progress data-rollout-progress="${p.id}" value="${p.done}" max="${p.total}"></progress> <span data-rollout-text="${p.id}">${p.text}</span></td><td data-rollout-reason="${p.id}">${p.reason}</td><td>${controls(s, p, back)}</td></tr>`;
}

/** Rollouts with their progress (live), pause/resume/abort, and a form to start one. */
export async function rolloutsPage(api: FleetApi, s: Session): Promise<PageContent> {
  const [{ rollouts }, { platforms }] = await Promise.all([api.call("listRollouts", { limit: 50 }), api.call("listPlatforms", {})]);
  const back = `${UI}/rollouts`;
  const start = canOperate(s)
    ? html`<form method="post" action="${UI}/actions/rollout-start" data-async class="start">${csrfField(s)}<input type="hidden" name="back" value="${back}">
<label>platform <select name="platform"><option value="">all</option>${platforms.filter((p) => p.name !== "").map((p) => html`<option value="${p.key}">${p.name}</option>`)}</select></label>
<label>canary nodes <input type="number" name="canary" min="0" max="1000" value="1"></label>
<label>max in flight <input type="number" name="maxInFlight" min="1" max="10000" value="5"></label>
<button type="submit">Start rollout</button></form>`
    : null;
  const rows = rollouts.map((r) => rolloutRow(s, rolloutProgress(r), back));
  return { title: "Rollouts", body: html`${start}${table(["rollout", "scope", "state", "progress", "reason", ""], rows, "rollouts")}` };
}

/** One rollout, node by node. */
export async function rolloutPage(api: FleetApi, s: Session, id: string, url: URL): Promise<PageContent> {
  const { rollout } = await api.call("getRollout", { rolloutId: id });
  const r = rollout!;
  const p = rolloutProgress(r);
  const nodes = paginate(r.nodes, url.searchParams.get("page"), NODES_PER_PAGE);
  const back = `${UI}/rollouts/${encodeURIComponent(r.id)}`;
  const nodeRows = nodes.items.map(
    (n) => html`<tr><td><a href="${UI}/nodes/${encodeURIComponent(n.nodeId)}">${n.nodeId}</a>${n.canary ? " (canary)" : ""}</td><td class="state state-${n.state}">${n.state}</td><td class="num">${n.binaryCount}</td><td class="num">${n.compileCount}</td><td>${n.error}</td></tr>`,
  );
  const body = html`${table(["rollout", "scope", "state", "progress", "reason", ""], [rolloutRow(s, p, back)], "rollouts")}<p>Started ${when(r.startedAtUnixMs)}; canary ${r.options?.canary ?? 0}, at most ${r.options?.maxInFlight ?? 0} in flight.</p>
<h2>Nodes</h2>${table(["node", "state", "binaries", "compiles", "error"], nodeRows, "rollout-nodes")}${pager(nodes, back, url.searchParams)}`;
  return { title: `Rollout ${r.id}`, body };
}
