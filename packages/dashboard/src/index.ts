// Public surface of @binfleet/dashboard: the web UI the coordinator serves beside its ops API.
export type { DashboardOptions } from "./dashboard-server.js";
export { DashboardServer } from "./dashboard-server.js";
export type { FleetHandlers } from "./fleet-api.js";
