import { setTimeout as sleep } from "node:timers/promises";
import { basename, dirname, resolve } from "node:path";
import { buildBinpkg } from "./binpkg.js";
import { SimError } from "./errors.js";
import { hits, loadFaults } from "./faults.js";
import type { Output } from "./output.js";
import { effectiveUse } from "./package-settings.js";
import { loadPortageConfig } from "./portage-config.js";
import { Repository } from "./repository.js";
import { SimRoot } from "./sim-root.js";
import { readInstalled } from "./vdb-cache.js";

/**
 * `ebuild <repo>/<cat>/<pn>/<pf>.ebuild package`: runs the phases up to
 * packaging and writes the binary package into PKGDIR, without merging it.
 * The ebuild path is a path of the simulated system, as the real one is of the host.
 */
export async function runEbuild(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const [path, ...phases] = argv;
  if (path === undefined || !path.endsWith(".ebuild") || phases.length === 0) {
    throw new SimError("usage", 1, "ebuild: usage: ebuild <ebuild file> <command> [command] ...\n");
  }
  if (phases.some((p) => p !== "package" && p !== "clean")) throw new SimError("phase", 1, `!!! portage-sim only simulates the 'package' and 'clean' phases\n`);
  if (!phases.includes("package")) return 0;
  const root = SimRoot.fromEnv(env);
  const config = await loadPortageConfig(root, env);
  const file = root.path(path);
  const pkgDir = dirname(file);
  const repo = await Repository.open(resolve(pkgDir, "../.."));
  const cpv = `${basename(dirname(pkgDir))}/${basename(file, ".ebuild")}`;
  const e = await repo.ebuild(cpv);
  if (e === undefined) throw new SimError("missing", 1, `!!! ${path} not found in the metadata cache of ${repo.name}\n`);
  const faults = await loadFaults(root, env);
  const work = `/var/tmp/portage/${cpv}/work/${e.cpv.package}-${e.cpv.version.raw.replace(/-r\d+$/, "")}`;
  out.out(`>>> Unpacking source...\n>>> Source unpacked in /var/tmp/portage/${cpv}/work\n>>> Preparing source in ${work} ...\n>>> Source prepared.\n>>> Configuring source in ${work} ...\n>>> Source configured.\n>>> Compiling source in ${work} ...\n`);
  if (hits(faults.hang, e.cpv)) await new Promise<never>(() => undefined);
  await sleep((await repo.buildSeconds(e)) * faults.speed * 1000);
  if (hits(faults.fail, e.cpv)) throw new SimError("build failed", 1, ` * ERROR: ${cpv}::${e.repo} failed (compile phase):\n *   emake failed (injected by BINFLEET_SIM_FAIL)\n`);
  out.out(`>>> Source compiled.\n>>> Test phase [not enabled]: ${cpv}\n\n>>> Install ${cpv} into /var/tmp/portage/${cpv}/image\n>>> Completed installing ${cpv} into /var/tmp/portage/${cpv}/image\n\n`);
  out.out(">>> Creating binpkg\n");
  await buildBinpkg(config, repo, e, effectiveUse(e, config), await readInstalled(config), Math.floor(Date.now() / 1000));
  out.out(">>> Done.\n");
  return 0;
}
