import { createHash } from "node:crypto";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { generateFleet } from "@binfleet/portage-sim";
import { type Logger, field, parsePackagesIndex } from "@binfleet/shared";
import { until } from "@binfleet/shared/testing";
import { heldVariants } from "@binfleet/coordinator/internal";
import { type FleetHarness, pretend, startFleet } from "./fleet-harness.js";

export interface DiskFullResult {
  /** Why the scenario could not run here (no mount rights), or null. */
  readonly skipped: string | null;
  readonly failedForSpace: number;
  readonly succeeded: number;
  readonly indexEntries: number;
  /** Index entries whose file is missing or differs in size or MD5. */
  readonly badEntries: readonly string[];
  /** Files in PKGDIR the index does not list (temp files, orphans). */
  readonly stray: readonly string[];
  readonly servedEntries: number;
  /** Variants the index lists more than once (a variant built twice). */
  readonly duplicateBuilds: number;
  /** The node's plan against the binhost afterwards: binaries for what fitted, ebuilds for the rest. */
  readonly nodeBinaries: number;
  readonly nodeEbuilds: number;
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out;
}

const NO_RESULT = { failedForSpace: 0, succeeded: 0, indexEntries: 0, badEntries: [], stray: [], servedEntries: 0, duplicateBuilds: 0, nodeBinaries: 0, nodeEbuilds: 0 };

/**
 * A real full disk on the binhost: the builder's PKGDIR is a 160 KiB tmpfs, too small for one
 * node's binaries, and the coordinator builds them (one attempt each). Mounting needs root and a
 * kernel that lets this process mount (not every container does); without it the result says why
 * it was skipped. The mount is removed before this returns.
 */
export async function buildOnFullDisk(o: { dir: string; log: Logger }): Promise<DiskFullResult> {
  const fleet = await generateFleet({ nodes: 1, platforms: 1, seed: 12, lag: 0.2, out: join(o.dir, "fleet") });
  const pkgdir = join(fleet.platforms[0]!.builderRoot, "var/cache/binpkgs");
  await mkdir(pkgdir, { recursive: true });
  const m = await execa("mount", ["-t", "tmpfs", "-o", "size=160k", "tmpfs", pkgdir], { reject: false });
  if (m.exitCode !== 0) return { skipped: `cannot mount a small tmpfs here (${m.stderr.trim() || `exit ${m.exitCode}`}): the disk-full case needs root and mount rights`, ...NO_RESULT };
  let h: FleetHarness | null = null;
  try {
    h = await startFleet({ fleet, dir: o.dir, log: o.log, speed: "0", config: { policy: { maxBuildAttempts: 1 } } });
    const c = h.coordinator;
    const platformKey = fleet.platforms[0]!.key;
    const forSpace = () => c.board.all().filter((r) => r.state === "failed" && `${r.error}\n${r.logTail.join("\n")}`.includes("No space left on device"));
    await until("a build failing for lack of space", async () => (forSpace().length > 0 ? true : null), 180_000, 250);
    await until("the builds settled", async () => (c.board.all().every((r) => r.state !== "running") && c.queue.planner.buildList(platformKey).every((i) => c.board.get(i.key) !== undefined) ? true : null), 180_000, 500);
    const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8"));
    const badEntries: string[] = [];
    for (const s of index.packages) {
      const data = await readFile(join(pkgdir, field(s, "PATH")!)).catch(() => null);
      if (data === null || String(data.length) !== field(s, "SIZE") || createHash("md5").update(data).digest("hex") !== field(s, "MD5")) badEntries.push(field(s, "PATH")!);
    }
    const listed = new Set(index.packages.map((s) => field(s, "PATH")!));
    const stray = (await files(pkgdir)).filter((f) => f !== "Packages" && f !== "Packages.gz" && !listed.has(f));
    const served = parsePackagesIndex(await (await fetch(`${c.platforms.binhostUrl(fleet.platforms[0]!.name)}/Packages`)).text());
    const variants = heldVariants(platformKey, index);
    const plan = (await pretend(fleet.nodes[0]!.root)).plan.entries;
    return {
      skipped: null,
      failedForSpace: forSpace().length,
      succeeded: c.board.all().filter((r) => r.state === "succeeded").length,
      indexEntries: index.packages.length,
      badEntries,
      stray,
      servedEntries: served.packages.length,
      duplicateBuilds: variants.length - new Set(variants).size,
      nodeBinaries: plan.filter((e) => e.kind === "binary").length,
      nodeEbuilds: plan.filter((e) => e.kind === "ebuild").length,
    };
  } finally {
    await h?.teardown();
    await execa("umount", [pkgdir], { reject: false });
  }
}
