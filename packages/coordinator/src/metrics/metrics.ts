import type { NodeRegistry } from "../ingest/node-registry.js";
import type { BuildQueue } from "../planning/build-queue.js";

/** What the coordinator counts since it started. */
export interface Counters {
  readonly builds: number;
  readonly buildSeconds: number;
  readonly installedBinary: number;
  readonly compiledLocally: number;
}

/** An advisory of the builders' tree and how many nodes it exposes. */
export interface AdvisoryGauge {
  readonly id: string;
  readonly severity: string;
  readonly nodes: number;
}

/** A label value as the exposition format writes it (advisory fields come from the tree). */
const label = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Prometheus text exposition of the fleet, the build list, what nodes installed and the advisories exposing them. */
export function renderMetrics(registry: NodeRegistry, queue: Pick<BuildQueue, "planner" | "plan">, counters: Counters, advisories: readonly AdvisoryGauge[] = []): string {
  const now = Date.now();
  const out: string[] = [];
  const gauge = (name: string, help: string, type: "gauge" | "counter", rows: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([labels, v]) => `${name}${labels} ${v}`));
  };
  const byState = new Map<string, number>();
  for (const n of registry.all()) {
    const k = `{platform="${n.platformKey}",state="${registry.state(n, now)}"}`;
    byState.set(k, (byState.get(k) ?? 0) + 1);
  }
  gauge("binfleet_nodes", "Nodes by platform and state.", "gauge", [...byState]);
  const plan = new Map<string, number>();
  for (const pk of queue.planner.platformKeys()) for (const e of queue.plan(pk)) plan.set(`{platform="${pk}",state="${e.state}"}`, (plan.get(`{platform="${pk}",state="${e.state}"}`) ?? 0) + 1);
  gauge("binfleet_build_list", "Variants some node would compile and the binhost lacks, by build state.", "gauge", [...plan]);
  gauge("binfleet_builds_succeeded_total", "Variants built (or found built) since start.", "counter", [["", counters.builds]]);
  gauge("binfleet_build_seconds_sum", "Wall time of the builds counted in binfleet_builds_succeeded_total.", "counter", [["", counters.buildSeconds]]);
  const installs = counters.installedBinary + counters.compiledLocally;
  gauge("binfleet_node_installs_total", "Packages nodes installed in binfleet commands, by kind.", "counter", [
    ['{kind="binary"}', counters.installedBinary],
    ['{kind="compiled"}', counters.compiledLocally],
  ]);
  gauge("binfleet_cache_hit_ratio", "Binary installs / all installs on nodes since start.", "gauge", [["", installs === 0 ? 0 : counters.installedBinary / installs]]);
  gauge(
    "binfleet_glsa_exposed_nodes",
    "Nodes whose latest report has a version a security advisory (GLSA) of the builders' tree affects, by advisory and severity.",
    "gauge",
    advisories.filter((a) => a.nodes > 0).map((a) => [`{glsa="${label(a.id)}",severity="${label(a.severity)}"}`, a.nodes]),
  );
  const bySeverity = new Map<string, number>();
  for (const a of advisories) if (a.nodes > 0) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + a.nodes);
  gauge("binfleet_glsa_exposures", "Node exposures to security advisories, by severity (a node exposed to two advisories counts twice).", "gauge", [...bySeverity].map(([sev, n]) => [`{severity="${label(sev)}"}`, n]));
  return `${out.join("\n")}\n`;
}
