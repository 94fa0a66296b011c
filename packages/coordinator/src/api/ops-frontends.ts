import type { ApiTokens } from "@binfleet/api";
import type { Supervisor } from "@binfleet/daemon";
import { DashboardServer } from "@binfleet/dashboard";
import type { Logger } from "@binfleet/shared";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { FleetControl } from "./fleet-control.js";
import { fleetControlHandlers } from "./fleet-control-handlers.js";
import { FleetControlServer } from "./fleet-control-server.js";

/** The ops API's faces, started: gRPC for the CLI, and the dashboard when configured. */
export interface OpsFrontends {
  readonly api: FleetControlServer;
  readonly dashboard: DashboardServer | null;
}

/**
 * Starts the gRPC ops API and, when configured, the dashboard over the same handlers (the
 * dashboard is one more client of the ops API: its roles, limits and audit log). Each is closed by
 * the supervisor, in reverse order.
 */
export async function startOpsFrontends(control: FleetControl, config: Pick<CoordinatorConfig, "api" | "dashboard">, tokens: ApiTokens, supervisor: Supervisor, log: Logger): Promise<OpsFrontends> {
  const api = await FleetControlServer.start(control, config.api, log.child({ component: "api" }));
  supervisor.defer("ops API", () => api.close());
  const ui = config.dashboard;
  if (ui === undefined) return { api, dashboard: null };
  const dlog = log.child({ component: "dashboard" });
  const dashboard = await DashboardServer.start({ host: ui.host, port: ui.port, ...(ui.tls === undefined ? {} : { tls: ui.tls }), handlers: fleetControlHandlers(control, dlog), tokens, log: dlog });
  supervisor.defer("dashboard", () => dashboard.close());
  return { api, dashboard };
}
