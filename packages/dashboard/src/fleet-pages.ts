import type { NodeSummary } from "@binfleet/shared/wire";
import type { FleetApi } from "./fleet-api.js";
import { COUNT_COLUMNS, type FleetCounts, summarizeFleet } from "./fleet-summary.js";
import { type SafeHtml, html } from "./html.js";
import { UI, pager, paginate, table, when } from "./layout.js";

export interface PageContent {
  readonly title: string;
  readonly body: SafeHtml;
}

const NODES_PER_PAGE = 100;

function countCells(scope: string, c: FleetCounts): SafeHtml[] {
  return COUNT_COLUMNS.map(([field]) => html`<td class="num" data-fleet="${scope}.${field}">${c[field]}</td>`);
}

const nodeLink = (id: string): SafeHtml => html`<a href="${UI}/nodes/${encodeURIComponent(id)}">${id}</a>`;

function nodeRow(n: NodeSummary): SafeHtml {
  return html`<tr><td>${nodeLink(n.nodeId)}</td><td>${n.platformName || n.platformKey}</td><td>${n.snapshotId}</td><td>${when(n.lastReportUnixMs)}</td><td class="num">${n.pendingBinary}</td><td class="num">${n.pendingCompile}</td><td class="state state-${n.state}">${n.state}</td></tr>`;
}

/** The fleet at a glance: per platform the numbers of `binfleet nodes`, then the nodes, a page at a time. */
export async function fleetPage(api: FleetApi, url: URL): Promise<PageContent> {
  const { nodes } = await api.call("listNodes", {});
  const s = summarizeFleet(nodes);
  const heads = ["platform", ...COUNT_COLUMNS.map(([, h]) => h)];
  const rows = [
    ...s.platforms.map((p) => html`<tr><td><a href="${UI}/?platform=${encodeURIComponent(p.key)}" title="${p.key}">${p.name || p.key}</a></td>${countCells(p.key, p)}</tr>`),
    html`<tr class="total"><td>all platforms</td>${countCells("*", s.total)}</tr>`,
  ];
  const platform = url.searchParams.get("platform") ?? "";
  const state = url.searchParams.get("state") ?? "";
  const shown = nodes.filter((n) => (platform === "" || n.platformKey === platform) && (state === "" || n.state === state));
  const p = paginate(shown, url.searchParams.get("page"), NODES_PER_PAGE);
  const states = ["", "current", "pending", "updating", "failed", "stale", "platform-changed"];
  const filter = html`<form method="get" action="${UI}/" class="filter"><label>platform <select name="platform"><option value="">all</option>${s.platforms.map(
    (x) => html`<option value="${x.key}"${x.key === platform ? html` selected` : null}>${x.name || x.key}</option>`,
  )}</select></label> <label>state <select name="state">${states.map((x) => html`<option value="${x}"${x === state ? html` selected` : null}>${x === "" ? "any" : x}</option>`)}</select></label> <button type="submit">Show</button></form>`;
  const body = html`${table(heads, rows, "fleet")}
<h2>Nodes</h2>${filter}${table(["node", "platform", "snapshot", "last report", "binaries", "compiles", "state"], p.items.map(nodeRow), "nodes")}${pager(p, `${UI}/`, url.searchParams)}`;
  return { title: "Fleet", body };
}

/** One node: its latest report as the API summarizes it, and for each pending package why it is a binary or a compile (`binfleet explain`). */
export async function nodePage(api: FleetApi, nodeId: string): Promise<PageContent> {
  const explained = await api.call("explain", { nodeId, atom: "" });
  const { nodes } = await api.call("listNodes", { platformKey: explained.platformKey });
  const n = nodes.find((x) => x.nodeId === nodeId);
  const facts: [string, string | number][] =
    n === undefined
      ? [["platform", explained.platformKey]]
      : [
          ["platform", `${n.platformName || "(no builder)"} ${n.platformKey}`],
          ["state", n.state],
          ["snapshot", n.snapshotId],
          ["last report", when(n.lastReportUnixMs)],
          ["last heartbeat", when(n.lastHeartbeatUnixMs)],
          ["binaries pending", n.pendingBinary],
          ["would compile", n.pendingCompile],
          ...(n.changedPlatformKey === "" ? [] : ([["reports refused for platform", n.changedPlatformKey]] as [string, string][])),
        ];
  const rows = explained.explanations.map(
    (e) => html`<tr><td>${e.cpv}</td><td class="reason reason-${e.reason}">${e.reason}</td><td>${e.differingFlags.join(" ")}</td><td>${e.detail}</td></tr>`,
  );
  const body = html`<dl class="facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<h2>Pending packages (explain)</h2>${rows.length === 0 ? html`<p>Nothing pending: the node is current.</p>` : table(["package", "reason", "differing flags", "detail"], rows, "explain")}`;
  return { title: `Node ${nodeId}`, body };
}
