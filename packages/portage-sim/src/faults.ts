import { readFile } from "node:fs/promises";
import { z } from "zod";
import { type Atom, atomMatches, parseAtom, type Cpv } from "@binfleet/shared";
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

const atoms = z
  .string()
  .default("")
  .transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== "").map((x) => parseAtom(x)));
const flag = z.string().default("").transform((s) => s === "1" || s === "true" || s === "yes");

const FaultsSchema = z.object({
  BINFLEET_SIM_SPEED: z.coerce.number().min(0).default(0.01),
  BINFLEET_SIM_FAIL: atoms,
  BINFLEET_SIM_HANG: atoms,
  BINFLEET_SIM_CORRUPT_DOWNLOAD: flag,
  BINFLEET_SIM_DISK_FULL: flag,
  BINFLEET_SIM_SLOW_BINHOST_MS: z.coerce.number().int().min(0).default(0),
});

export function faultsFromEnv(env: NodeJS.ProcessEnv): Faults {
  const f = FaultsSchema.parse(env);
  return {
    speed: f.BINFLEET_SIM_SPEED,
    fail: f.BINFLEET_SIM_FAIL,
    hang: f.BINFLEET_SIM_HANG,
    corruptDownload: f.BINFLEET_SIM_CORRUPT_DOWNLOAD,
    diskFull: f.BINFLEET_SIM_DISK_FULL,
    slowBinhostMs: f.BINFLEET_SIM_SLOW_BINHOST_MS,
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
