import type { FleetApi } from "./fleet-api.js";
import type { PageContent } from "./fleet-pages.js";
import { html } from "./html.js";
import { pager, paginate, table, when } from "./layout.js";

const ROWS_PER_PAGE = 100;

/** Packages installed with more than one USE combination across the fleet (`binfleet drift`). */
export async function driftPage(api: FleetApi, url: URL): Promise<PageContent> {
  const { entries } = await api.call("drift", { platformKey: url.searchParams.get("platform") ?? "" });
  const p = paginate(entries, url.searchParams.get("page"), ROWS_PER_PAGE);
  const rows = p.items.map((e) => html`<tr><td>${e.cp}</td><td>${e.flags.join(" ")}</td><td class="num">${e.nodeCount}</td><td class="num">${e.extraVariants}</td></tr>`);
  return {
    title: "USE drift",
    body: html`<p>Packages whose USE differs between nodes: each extra variant is one more build.</p>${table(["package", "differing flags", "nodes", "extra variants"], rows, "drift")}${pager(p, url.pathname, url.searchParams)}`,
  };
}

/** Security advisories of the builders' tree that affect the fleet (`binfleet glsa`). */
export async function advisoriesPage(api: FleetApi, url: URL): Promise<PageContent> {
  const r = await api.call("listAdvisories", { platformKey: "", all: url.searchParams.get("all") === "1" });
  const p = paginate(r.advisories, url.searchParams.get("page"), ROWS_PER_PAGE);
  const rows = p.items.map(
    (a) =>
      html`<tr><td>GLSA ${a.id}</td><td class="severity severity-${a.severity}">${a.severity}</td><td>${a.title}</td><td>${a.packages.join(" ")}</td><td class="num">${a.nodesExposed}</td><td>${when(a.oldestExposureUnixMs)}</td><td>${a.fix === undefined ? "" : a.fix.state}</td></tr>`,
  );
  return {
    title: "Security advisories",
    body: html`<p>${r.advisoriesRead} advisories read from the builders' tree; shown: those affecting a node${url.searchParams.get("all") === "1" ? " or not" : html` (<a href="?all=1">all</a>)`}.</p>${table(["advisory", "severity", "title", "packages", "nodes exposed", "exposed since", "fix"], rows, "advisories")}${pager(p, url.pathname, url.searchParams)}${
      r.refused.length === 0 ? null : html`<h2>Refused advisory files</h2><ul>${r.refused.map((x) => html`<li>${x.file}: ${x.error}</li>`)}</ul>`
    }`,
  };
}
