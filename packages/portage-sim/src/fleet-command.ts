import { resolve } from "node:path";
import * as z from "zod";
import { SimError } from "./errors.js";
import { generateFleet } from "./fleet-generator.js";
import type { Output } from "./output.js";

const USAGE = `usage: binfleet-sim fleet --out DIR [--nodes N] [--platforms P] [--seed S] [--binhost-url URL] [--sync-uri URI]
       binfleet-sim emerge|ebuild|portageq ARGS…   (with BINFLEET_SIM_ROOT set to a generated root)`;

const FleetArgs = z.object({
  out: z.string().min(1),
  nodes: z.coerce.number().int().min(1).max(100_000).default(24),
  platforms: z.coerce.number().int().min(1).max(64).default(3),
  seed: z.coerce.number().int().min(0).default(1),
  "binhost-url": z.string().url().optional(),
  "sync-uri": z.string().min(1).optional(),
});

function flags(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new SimError(`unexpected argument '${a}'`, 2, `binfleet-sim: unexpected argument '${a}'\n${USAGE}\n`);
    const [k, v] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    out[k] = v ?? argv[++i] ?? "";
  }
  return out;
}

/** `binfleet-sim fleet …`: writes a fleet and prints its manifest summary as JSON. */
export async function runFleetCommand(argv: readonly string[], out: Output): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== "fleet") {
    out.err(`${cmd === undefined ? "binfleet-sim: no command" : `binfleet-sim: unknown command '${cmd}'`}\n${USAGE}\n`);
    return 2;
  }
  const parsed = FleetArgs.safeParse(flags(rest));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    out.err(`binfleet-sim: --${issue.path.join(".")}: ${issue.message}\n${USAGE}\n`);
    return 2;
  }
  const a = parsed.data;
  const started = performance.now();
  const m = await generateFleet({
    nodes: a.nodes,
    platforms: a.platforms,
    seed: a.seed,
    out: resolve(a.out),
    ...(a["binhost-url"] === undefined ? {} : { binhostUrl: a["binhost-url"] }),
    ...(a["sync-uri"] === undefined ? {} : { syncUri: a["sync-uri"] }),
  });
  out.out(
    `${JSON.stringify({ out: resolve(a.out), nodes: m.nodes.length, platforms: m.platforms.map((p) => p.name), ebuilds: m.ebuilds, snapshot: m.snapshot, seconds: Math.round((performance.now() - started) / 100) / 10 })}\n`,
  );
  return 0;
}
