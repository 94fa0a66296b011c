import { createHash } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Atom, type InstalledPackage, formatWorld, parseAtom, parseVdbEntry, parseWorld, parseWorldSets, tryParseAtom } from "@binfleet/shared/portage";
import { buildBinpkg, verifyHome } from "./binpkg.js";
import { downloadBinary, fetchBinhostIndex, localBinaries } from "./binhost-client.js";
import { type Distfile, DistfileFetcher, ebuildDistfiles } from "./distfile-fetch.js";
import { DigestCache } from "./digest-cache.js";
import { type EmergeOptions, parseEmergeArgs } from "./emerge-options.js";
import { SimError } from "./errors.js";
import { type Faults, hits, loadFaults } from "./faults.js";
import { openGpkg } from "./gpkg.js";
import { problemsText } from "./emerge-problems.js";
import { MergeListDisplay } from "./merge-list.js";
import type { Output } from "./output.js";
import { imageFiles, packageMetadata } from "./package-metadata.js";
import { type PortageConfig, loadPortageConfig, openRepositories } from "./portage-config.js";
import type { Repository } from "./repository.js";
import { ResolutionFailure, missingMessage } from "./resolution-failure.js";
import { type BinaryCandidate, type MergePlan, type MergeTask, Resolver } from "./resolver.js";
import { SimRoot } from "./sim-root.js";
import { syncRepositories } from "./sync.js";
import { mergeToVdb, unmergeFromVdb } from "./vdb-writer.js";
import { readInstalled } from "./vdb-cache.js";

interface Targets {
  readonly atoms: Atom[];
  /** Only @world/@selected: missing entries are world-file problems, not errors. */
  readonly fromSet: boolean;
}

async function readTargets(opts: EmergeOptions, selected: readonly Atom[], config: PortageConfig, repo: Repository, installed: readonly InstalledPackage[]): Promise<Targets> {
  const atoms: Atom[] = [];
  let fromSet = false;
  for (const t of opts.targets) {
    if (t === "@world" || t === "world" || t === "@selected") {
      fromSet = true;
      atoms.push(...selected);
      // Sets named in world_sets are not simulated: only their existence is checked.
      parseWorldSets(await readFile(config.worldSetsFile, "utf8").catch(() => ""));
      continue;
    }
    if (t.startsWith("@")) throw new SimError(`emerge: there are no sets to satisfy '${t.slice(1)}'.`, 1, `emerge: there are no sets to satisfy '${t.slice(1)}'.\n`);
    let atom: Atom;
    try {
      atom = parseAtom(t.includes("/") ? t : await qualify(t, repo, installed, opts));
    } catch (err) {
      if (err instanceof SimError) throw err;
      throw new SimError(`invalid atom: ${t}`, 1, `\n!!! '${t}' is not a valid package atom.\n!!! Please check ebuild(5) for full details.\n\n`);
    }
    atoms.push(atom);
  }
  if (atoms.length === 0 && !fromSet) throw new SimError("emerge: nothing to do", 1, "emerge: please specify a package or set to merge\n");
  return { atoms, fromSet };
}

/** `hello` → `app-misc/hello`, as emerge does for unambiguous short names. */
async function qualify(name: string, repo: Repository, installed: readonly InstalledPackage[], opts: EmergeOptions): Promise<string> {
  const bare = name.replace(/^[<>=~!]+/, "");
  const op = name.slice(0, name.length - bare.length);
  const pn = bare.replace(/-\d.*$/, "");
  const names = [...new Set([...(await repo.allCps()), ...installed.map((p) => p.cpv.cp)])];
  const matches = names.filter((cp) => cp.endsWith(`/${pn}`));
  if (matches.length === 1) return `${op}${matches[0]!.split("/")[0]}/${bare}`;
  if (matches.length === 0) throw new ResolutionFailure("no ebuilds", 1, missingMessage(name, `null/${pn}`, [], names, opts.usepkgonly), 0);
  throw new SimError("ambiguous", 1, `\n!!! The short ebuild name "${name}" is ambiguous. Please specify\n!!! one of the following fully-qualified ebuild names instead:\n\n${matches.map((m) => `    ${m}`).join("\n")}\n\n`);
}

/** What emerge prints before resolving (stdout): the merge list's title and the spinner's notice. */
function resolutionHeader(opts: EmergeOptions): string {
  let out = "";
  if (!opts.quiet && (opts.pretend || opts.tree || opts.verbose)) {
    const action = opts.fetchonly ? "fetched" : opts.buildpkgonly ? "built" : "merged";
    out += `\nThese are the packages that would be ${action}${opts.tree && action !== "fetched" ? ", in reverse order" : ", in order"}:\n\n`;
  }
  if (!opts.quiet && !opts.nodeps) out += "Calculating dependencies ...";
  return out;
}

/** What emerge prints when resolution ends (stdout): " done!" and how long it took. */
function resolutionReport(opts: EmergeOptions, started: number, backtracked: number): string {
  if (opts.quiet || opts.nodeps) return "";
  return ` done!\nDependency resolution took ${((performance.now() - started) / 1000).toFixed(2)} s (backtrack: ${backtracked}/20).\n\n`;
}

/** Binaries from every configured binhost (--getbinpkg) and the local PKGDIR (--usepkg). */
async function gatherBinaries(opts: EmergeOptions, config: PortageConfig, out: Output, faults: Faults): Promise<BinaryCandidate[]> {
  const all: BinaryCandidate[] = [];
  if (opts.getbinpkg) for (const b of config.binrepos) all.push(...(await fetchBinhostIndex(config, b, out, { pretend: opts.pretend, verbose: opts.verbose }, faults)));
  if (opts.usepkg || opts.buildpkg) all.push(...(await localBinaries(config)));
  return all;
}

/** The task's distfiles: what SRC_URI names for its USE, sized from the package's Manifest. */
async function taskDistfiles(repo: Repository, t: MergeTask): Promise<Distfile[]> {
  return ebuildDistfiles(t.ebuild, t.use, await repo.distfiles(t.ebuild.cpv.cp));
}

async function downloadBytes(repo: Repository, config: PortageConfig, task: MergeTask): Promise<number> {
  if (task.kind === "binary") return task.binary?.downloadBytes ?? 0;
  let total = 0;
  for (const f of await taskDistfiles(repo, task)) {
    const have = await stat(join(config.distdir, f.name)).then((s) => s.size, () => -1);
    if (have !== f.size) total += f.size;
  }
  return total;
}

export async function runEmerge(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const opts = parseEmergeArgs(argv);
  const root = SimRoot.fromEnv(env);
  const config = await loadPortageConfig(root, env);
  const faults = await loadFaults(root, env);
  if (opts.version) {
    out.out(`Portage 3.0.82 (binfleet portage-sim, ${config.profilePath.replace(/^.*\/profiles\//, "")}, ${config.vars["CHOST"] ?? "unknown"})\n`);
    return 0;
  }
  if (opts.sync) return syncRepositories(config, out);
  const [repo] = await openRepositories(config);
  const installed = await readInstalled(config);
  const binaries = await gatherBinaries(opts, config, out, faults);
  const started = performance.now();
  out.out(resolutionHeader(opts));
  let targets: Targets;
  let plan: MergePlan;
  const selected = parseWorld(await readFile(config.worldFile, "utf8").catch(() => "")).atoms;
  try {
    targets = await readTargets(opts, selected, config, repo!, installed);
    const resolver = new Resolver(repo!, config, installed, binaries, {
      update: opts.update,
      deep: opts.deep,
      newuse: opts.newuse,
      emptytree: opts.emptytree,
      useBinaries: opts.usepkg,
      binariesOnly: opts.usepkgonly,
      respectUse: opts.respectUse,
      noreplace: opts.noreplace,
      tree: opts.tree,
      selected,
      changedUse: opts.changedUse,
      exclude: opts.exclude.flatMap((x) => {
        const a = tryParseAtom(x);
        return a === null ? [] : [a];
      }),
      nodeps: opts.nodeps,
      onlydeps: opts.onlydeps,
    });
    plan = await resolver.resolve(targets.atoms, targets.fromSet ? "@world" : null);
  } catch (err) {
    if (!(err instanceof ResolutionFailure)) throw err;
    out.out(resolutionReport(opts, started, err.backtracked));
    out.err(err.stderrText ?? "");
    return err.exitCode;
  }
  out.out(resolutionReport(opts, started, 0));
  const sizes = new Map<MergeTask, number>();
  for (const t of plan.tasks) sizes.set(t, await downloadBytes(repo!, config, t));
  const sizeOf = (t: MergeTask): number => sizes.get(t) ?? 0;
  if (opts.pretend || opts.verbose) out.out(new MergeListDisplay(plan, config, sizeOf, opts).text());
  const problems = problemsText(plan, opts);
  out.err(problems.text);
  if (problems.fatal) return 1;
  if (opts.pretend) return 0;
  if (opts.fetchonly) return fetchOnly(plan, config, repo!, out, faults);
  if (opts.buildpkgonly) {
    const deps = plan.tasks.filter((t) => !targets.atoms.some((a) => a.cp === t.ebuild.cpv.cp));
    if (deps.length > 0) {
      out.err("\n!!! --buildpkgonly requires all dependencies to be merged.\n!!! Cannot merge requested packages. Merge deps and try again.\n\n");
      return 1;
    }
  }
  const code = await mergePlan(plan, opts, config, repo!, installed, out, faults, DigestCache.fromEnv(env));
  if (code === 0 && !opts.oneshot && !opts.buildpkgonly && !targets.fromSet) await addToWorld(config, repo!, targets.atoms);
  return code;
}

async function addToWorld(config: PortageConfig, repo: Repository, atoms: readonly Atom[]): Promise<void> {
  const current = parseWorld(await readFile(config.worldFile, "utf8").catch(() => "")).atoms.map((a) => a.raw);
  const added: string[] = [];
  for (const a of atoms) {
    const slots = new Set((await repo.versions(a.cp)).map((e) => e.slot));
    added.push(slots.size > 1 && a.slot !== null ? `${a.cp}:${a.slot}` : a.cp);
  }
  await mkdir(dirname(config.worldFile), { recursive: true });
  await writeFile(config.worldFile, formatWorld([...current, ...added]));
}

async function fetchOnly(plan: MergePlan, config: PortageConfig, repo: Repository, out: Output, faults: Faults): Promise<number> {
  const fetcher = new DistfileFetcher(config, out);
  try {
    for (const t of plan.tasks) {
      if (t.kind === "binary") await downloadBinary(config, t.binary!, out, faults);
      else await fetcher.fetch(await taskDistfiles(repo, t));
    }
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    out.err(`${err.message}\n`);
    return 1;
  }
  return 0;
}

async function mergePlan(
  plan: MergePlan,
  opts: EmergeOptions,
  config: PortageConfig,
  repo: Repository,
  installedAtStart: readonly InstalledPackage[],
  out: Output,
  faults: Faults,
  cache: DigestCache | null,
): Promise<number> {
  const installed = [...installedAtStart];
  const n = plan.tasks.length;
  if (plan.tasks.some((t) => t.kind === "ebuild")) out.out("\n>>> Verifying ebuild manifests\n");
  for (let i = 0; i < n; i++) {
    const t = plan.tasks[i]!;
    const e = t.ebuild;
    const cpv = e.cpv.cpv;
    const label = `${cpv}::${e.repo}`;
    let metadata: Record<string, string>;
    let files: Record<string, Buffer | string>;
    const buildTime = Math.floor(Date.now() / 1000);
    try {
      if (t.kind === "binary") {
        out.out(`\n>>> Emerging binary (${i + 1} of ${n}) ${label}\n`);
        const file = await downloadBinary(config, t.binary!, out, faults);
        const data = await readFile(file);
        const opened = await openGpkg(data, t.binary!.source?.verifySignature ? verifyHome(config) : null, cache);
        out.out(`>>> Extracting info\n>>> Extracting ${cpv}\n`);
        metadata = Object.fromEntries(Object.entries(opened.metadata).filter(([k]) => k !== "environment.bz2" && !k.endsWith(".ebuild")));
        metadata["BINPKGMD5"] = `${createHash("md5").update(data).digest("hex")}\n`;
        files = opened.files;
      } else {
        out.out(`\n>>> Emerging (${i + 1} of ${n}) ${label}\n`);
        const work = `/var/tmp/portage/${cpv}/work/${e.cpv.package}-${e.cpv.version.raw.replace(/-r\d+$/, "")}`;
        await new DistfileFetcher(config, out).fetch(await taskDistfiles(repo, t));
        out.out(`>>> Unpacking source...\n>>> Source unpacked in /var/tmp/portage/${cpv}/work\n>>> Preparing source in ${work} ...\n>>> Source prepared.\n>>> Configuring source in ${work} ...\n>>> Source configured.\n>>> Compiling source in ${work} ...\n`);
        if (hits(faults.hang, e.cpv)) await new Promise<never>(() => undefined);
        await sleep((await repo.buildSeconds(e)) * faults.speed * 1000);
        if (hits(faults.fail, e.cpv)) {
          out.err(` * ERROR: ${label} failed (compile phase):\n *   emake failed (injected by BINFLEET_SIM_FAIL)\n`);
          throw new SimError("build failed");
        }
        out.out(`>>> Source compiled.\n>>> Test phase [not enabled]: ${cpv}\n\n>>> Install ${cpv} into /var/tmp/portage/${cpv}/image\n>>> Completed installing ${cpv} into /var/tmp/portage/${cpv}/image\n\n`);
        files = imageFiles(e, t.use);
        const size = Object.values(files).reduce((s, f) => s + Buffer.byteLength(f), 0);
        metadata = packageMetadata(e, t.use, config, repo, installed, { buildTime, buildId: null, size });
        if (opts.buildpkg || opts.buildpkgonly || config.features.has("buildpkg")) {
          const built = await buildBinpkg(config, repo, e, t.use, installed, buildTime, cache);
          out.out(`>>> Done.\n>>> Binary package: ${config.pkgdir.slice(config.root.dir.length)}/${built.path}\n`);
        }
      }
      if (opts.buildpkgonly) {
        out.out(`>>> Completed (${i + 1} of ${n}) ${label}\n`);
        continue;
      }
      out.out(`\n>>> Installing (${i + 1} of ${n}) ${label}\n * checking ${Object.keys(files).length} files for package collisions\n>>> Merging ${cpv} to /\n`);
      const replaced = t.flags.newSlot || t.flags.new ? null : t.old;
      const lines = await mergeToVdb(config, e.cpv.category, `${e.cpv.package}-${e.cpv.version.raw}`, metadata, files, replaced, faults.diskFull);
      out.out(`${lines.join("\n")}\n`);
      if (replaced !== null) out.out(">>> Safely unmerging already-installed instance...\n");
      out.out(`>>> ${cpv} merged.\n`);
      for (const u of t.uninstalls) {
        out.out(`\n>>> Uninstalling ${u.cpv.cpv}::${u.repo ?? e.repo}\n`);
        await unmergeFromVdb(config, u);
      }
      out.out(`\n>>> Completed (${i + 1} of ${n}) ${label}\n`);
      installed.push(parseVdbEntry(e.cpv.category, `${e.cpv.package}-${e.cpv.version.raw}`, metadata));
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      if (err.stderrText !== undefined) out.err(err.stderrText);
      else if (err.message !== "build failed") out.err(`${err.message}\n`);
      out.out(`\n>>> Failed to emerge ${cpv}, Log file:\n\n>>>  '/var/tmp/portage/${cpv}/temp/build.log'\n`);
      return 1;
    }
  }
  return 0;
}

