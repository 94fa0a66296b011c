import { BuildState, type BuildSummary } from "@binfleet/shared/wire";
import type { FleetApi } from "./fleet-api.js";
import type { PageContent } from "./fleet-pages.js";
import { type SafeHtml, html } from "./html.js";
import { UI, actionForm, canOperate, pager, paginate, table, when } from "./layout.js";
import type { Session } from "./sessions.js";

const BUILDS_PER_PAGE = 50;
/** A build page shows at most this many log lines (the last ones); `binfleet logs` has them all. */
export const MAX_LOG_LINES = 5000;

const NAMES: Record<BuildState, string> = {
  [BuildState.UNSPECIFIED]: "unknown",
  [BuildState.WAITING_APPROVAL]: "waiting-approval",
  [BuildState.QUEUED]: "queued",
  [BuildState.RUNNING]: "running",
  [BuildState.SUCCEEDED]: "succeeded",
  [BuildState.FAILED]: "failed",
};

export const buildStateName = (s: BuildState | undefined): string => NAMES[s ?? BuildState.UNSPECIFIED] ?? "unknown";

/** Waiting first (they need someone), then running and queued, then the finished ones, newest first. */
const ORDER: Record<string, number> = { "waiting-approval": 0, running: 1, queued: 2 };
const sortKey = (b: BuildSummary): [number, number] => [ORDER[buildStateName(b.result?.state)] ?? 3, -Number(b.result?.finishedAtUnixMs ?? 0n)];

/** Platforms by key, for their names (a platform without builder has none). */
type PlatformNames = ReadonlyMap<string, string>;

async function platformNames(api: FleetApi): Promise<PlatformNames> {
  return new Map((await api.call("listPlatforms", {})).platforms.map((p) => [p.key, p.name || p.key.slice(0, 24)]));
}

function buildRow(b: BuildSummary, s: Session, back: string, names: PlatformNames): SafeHtml {
  const job = b.job!;
  const state = buildStateName(b.result?.state);
  const actions =
    state === "waiting-approval" && canOperate(s)
      ? html`${actionForm(s, "approve", { variant: job.id }, "Approve", back)}${actionForm(s, "hold", { atom: `=${job.cpv}`, platform: job.platformKey }, "Hold", back)}`
      : null;
  return html`<tr data-build="${job.id}"><td><a href="${UI}/builds/${job.id}">${job.id.slice(0, 12)}</a></td><td class="cpv">${job.cpv}</td><td>${job.use.join(" ")}</td><td title="${job.platformKey}">${names.get(job.platformKey) ?? job.platformKey.slice(0, 24)}</td><td class="state state-${state}" data-build-state="${job.id}">${state}</td><td>${b.result?.builder ?? ""}</td><td>${when(b.result?.finishedAtUnixMs ?? 0n)}</td><td>${actions}</td></tr>`;
}

/** The build list: what waits for approval (with Approve and Hold), what runs, what finished. */
export async function buildsPage(api: FleetApi, s: Session, url: URL): Promise<PageContent> {
  const [{ builds }, names] = await Promise.all([api.call("listBuilds", {}), platformNames(api)]);
  const sorted = [...builds].filter((b) => b.job !== undefined).sort((a, b) => {
    const [x, y] = [sortKey(a), sortKey(b)];
    return x[0] - y[0] || x[1] - y[1];
  });
  const waiting = new Map<string, number>();
  for (const b of sorted) if (b.result?.state === BuildState.WAITING_APPROVAL) waiting.set(b.job!.platformKey, (waiting.get(b.job!.platformKey) ?? 0) + 1);
  const p = paginate(sorted, url.searchParams.get("page"), BUILDS_PER_PAGE);
  const back = `${UI}/builds`;
  // The API approves "all" one platform at a time, as `binfleet approve --all --platform P` does.
  const perPlatform = [...waiting].map(([key, n]) => html`<li>${n} on <span title="${key}">${names.get(key) ?? key.slice(0, 24)}</span> ${canOperate(s) ? actionForm(s, "approve", { all: "1", platform: key }, "Approve all", back) : null}</li>`);
  const body = html`<p>${[...waiting.values()].reduce((a, b) => a + b, 0)} waiting for approval.</p>${perPlatform.length === 0 ? null : html`<ul class="waiting">${perPlatform}</ul>`}
${table(["build", "package", "USE", "platform", "state", "builder", "finished", ""], p.items.map((b) => buildRow(b, s, back, names)), "builds")}${pager(p, back, url.searchParams)}`;
  return { title: "Builds", body };
}

/** One build and its log (live while it runs). */
export async function buildPage(api: FleetApi, s: Session, id: string, signal: AbortSignal): Promise<PageContent> {
  const [{ builds }, names] = await Promise.all([api.call("listBuilds", {}), platformNames(api)]);
  const b = builds.find((x) => x.job?.id === id);
  if (b === undefined) return { title: "No such build", body: html`<p>No build ${id} (see the <a href="${UI}/builds">build list</a>).</p>` };
  const state = buildStateName(b.result?.state);
  const lines: string[] = [];
  let count = 0;
  if (state !== "waiting-approval" && state !== "queued") {
    for await (const chunk of api.stream("streamBuildLog", { jobId: id, follow: false }, signal)) {
      for (const l of chunk.lines) {
        count++;
        lines.push(l);
        if (lines.length > MAX_LOG_LINES) lines.shift();
      }
    }
  }
  const job = b.job!;
  const body = html`<table id="build"><tbody>${buildRow(b, s, `${UI}/builds/${id}`, names)}</tbody></table>
${b.result?.error ? html`<p class="error">${b.result.error}</p>` : null}
<h2>Log</h2><pre id="log" data-build-log="${job.id}" data-lines="${count}">${lines.map((l) => html`<span>${l}\n</span>`)}</pre>`;
  return { title: `Build ${job.cpv}`, body };
}
