import type { CoordinatorConfig } from "./coordinator-config.js";

/**
 * What SIGHUP applies to a running coordinator: the nightly job's schedule and webhook (its timer
 * is armed again) and the ops API's tokens (calls are checked against the new set at once). The
 * access log is reopened whatever changed. Everything else is wired into connections, listeners,
 * builder roots and stores at start, and needs a restart.
 */
export const RELOADABLE = ["schedule", "api.tokens"] as const;

/** The settings that differ between two configurations, as dotted keys (two levels deep: "http.port"). */
export function changedSettings(current: CoordinatorConfig, next: CoordinatorConfig): string[] {
  const out: string[] = [];
  const a = current as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key];
    const y = b[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const nested = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (key === "schedule" || !nested(x) || !nested(y)) {
      out.push(key);
      continue;
    }
    for (const sub of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
      if (JSON.stringify(x[sub]) !== JSON.stringify(y[sub])) out.push(`${key}.${sub}`);
    }
  }
  return out;
}

export interface ReloadPlan {
  /** Changed settings the running coordinator takes. */
  readonly apply: readonly string[];
  /** Changed settings that take effect only after a restart (until then the old values stay). */
  readonly restart: readonly string[];
}

export function reloadPlan(current: CoordinatorConfig, next: CoordinatorConfig): ReloadPlan {
  const changed = changedSettings(current, next);
  const reloadable = new Set<string>(RELOADABLE);
  return { apply: changed.filter((k) => reloadable.has(k)), restart: changed.filter((k) => !reloadable.has(k)) };
}
