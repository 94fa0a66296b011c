import { readFile } from "node:fs/promises";
import { type Atom, atomMatches, parseAtom, type Cpv } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import type { SimRoot } from "./sim-root.js";

/**
 * Fault injection and time scale, read once from the environment:
 * - BINFLEET_SIM_SPEED: real seconds per simulated build second (default 0.01: a 5-minute build takes 3 s).
 * - BINFLEET_SIM_FAIL: comma-separated atoms whose builds fail.
 * - BINFLEET_SIM_HANG: comma-separated atoms whose builds never finish.
 * - BINFLEET_SIM_CORRUPT_DOWNLOAD=1: flip a byte in every downloaded binary.
 * - BINFLEET_SIM_DISK_FULL=1: merging fails with ENOSPC.
 * - BINFLEET_SIM_SLOW_BINHOST_MS: delay before every binhost request.
 *
 * The same keys in the root's `etc/portage-sim/faults.env` (KEY=VALUE lines) override the
 * environment: a test can break one node of a fleet, then mend it, while its agent runs.
 */
export interface Faults {
  readonly speed: number;
  readonly fail: readonly Atom[];
  readonly hang: readonly Atom[];
  readonly corruptDownload: boolean;
  readonly diskFull: boolean;
  readonly slowBinhostMs: number;
}

function number(env: NodeJS.ProcessEnv, key: string, fallback: number, integer: boolean): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new SimError(`portage-sim: ${key}=${raw.slice(0, 40)} is not a ${integer ? "whole " : ""}number >= 0`, 2);
  return n;
}

const flag = (env: NodeJS.ProcessEnv, key: string): boolean => ["1", "true", "yes"].includes(env[key] ?? "");

const atoms = (env: NodeJS.ProcessEnv, key: string): Atom[] =>
  (env[key] ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "")
    .map((x) => parseAtom(x));

// Parsed by hand rather than with zod: every simulated Portage call reads these, and loading zod
// would cost each of them start-up time. The rules are the same: numbers >= 0, atoms that parse.
export function faultsFromEnv(env: NodeJS.ProcessEnv): Faults {
  return {
    speed: number(env, "BINFLEET_SIM_SPEED", 0.01, false),
    fail: atoms(env, "BINFLEET_SIM_FAIL"),
    hang: atoms(env, "BINFLEET_SIM_HANG"),
    corruptDownload: flag(env, "BINFLEET_SIM_CORRUPT_DOWNLOAD"),
    diskFull: flag(env, "BINFLEET_SIM_DISK_FULL"),
    slowBinhostMs: number(env, "BINFLEET_SIM_SLOW_BINHOST_MS", 0, true),
  };
}

export function hits(list: readonly Atom[], cpv: Cpv): boolean {
  return list.some((a) => atomMatches(a, { cpv }));
}

/** The environment's faults, overridden by the root's `etc/portage-sim/faults.env`. */
export async function loadFaults(root: SimRoot, env: NodeJS.ProcessEnv): Promise<Faults> {
  const text = await readFile(root.path("/etc/portage-sim/faults.env"), "utf8").catch(() => "");
  const fromFile: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(BINFLEET_SIM_[A-Z_]+)=(.*)$/.exec(line);
    if (m !== null) fromFile[m[1]!] = m[2]!.trim();
  }
  return faultsFromEnv({ ...env, ...fromFile });
}
