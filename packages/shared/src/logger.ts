// The logger type every package takes (pino's); making one is @binfleet/daemon's job (createLogger).
export type { Logger } from "pino";
