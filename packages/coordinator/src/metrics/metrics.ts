import type { NodeRegistry } from "../ingest/node-registry.js";
import type { BuildQueue } from "../planning/build-queue.js";

/** What the coordinator counts since it started. */
export interface Counters {
  readonly builds: number;
  readonly buildSeconds: number;
  readonly installedBinary: number;
  readonly compiledLocally: number;
}

/** Prometheus text exposition of the fleet, the build list and what nodes installed. */
export function renderMetrics(registry: NodeRegistry, queue: BuildQueue, counters: Counters): string {
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
  return `${out.join("\n")}\n`;
}
