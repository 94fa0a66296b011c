// For tests and benches: the dashboard's parts beyond its public surface.
export * from "./index.js";
export { escapeHtml, html, SafeHtml } from "./html.js";
export { type FleetCounts, type FleetSummary, summarizeFleet } from "./fleet-summary.js";
export { SECURITY_HEADERS } from "./http-support.js";
export { Sessions, csrfMatches } from "./sessions.js";
