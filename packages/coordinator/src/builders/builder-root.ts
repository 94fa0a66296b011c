import { cp, lstat, mkdir, readFile, readdir, readlink, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PlatformSettings } from "@binfleet/shared";

/** Platforms made by `binfleet platforms create`: name, key and root each. */

export class BuilderRootError extends Error {
  override readonly name = "BuilderRootError";
}

/** What may stand in a make.conf value taken from a node's report: flags, keywords, paths; no quote, `$` or newline. */
const MAKE_CONF_VALUE = /^[A-Za-z0-9 _.,:=+/~*@%-]*$/;
const PROFILE = /^(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_.+/-]+$/;

/** Directories of a builder root's etc/portage that are not copied: signing and verify keyrings belong to one platform. */
const NOT_COPIED = new Set(["make.profile", "gnupg", "gnupg-signing"]);

/**
 * Makes a builder root for a platform no builder serves, from an existing builder root (the
 * site's configuration: repos.conf, FEATURES, PKGDIR, package.* files) and a node's reported
 * settings: its CHOST, CFLAGS, CXXFLAGS, LDFLAGS, ACCEPT_KEYWORDS and BINPKG_FORMAT appended to
 * make.conf (later assignments win), make.profile pointing at its profile in the same tree, an
 * empty world and vdb. The template's repositories (var/db/repos entries, when the root holds
 * them) are linked, so both build from the one tree. The settings come from a node's report: a
 * value with a quote, `$` or newline, a profile outside the tree, or a directory that is not
 * empty, is refused before anything is made; anything made is removed again when a step fails.
 */
export async function createBuilderRoot(o: { readonly template: string; readonly dir: string; readonly settings: PlatformSettings; readonly from: string }): Promise<void> {
  const s = o.settings;
  const values: [string, string][] = [
    ["CHOST", s.chost],
    ["CFLAGS", s.cflags],
    ["CXXFLAGS", s.cxxflags],
    ["LDFLAGS", s.ldflags],
    ["ACCEPT_KEYWORDS", s.acceptKeywords],
    ["BINPKG_FORMAT", s.binpkgFormat],
  ];
  for (const [name, value] of values) if (!MAKE_CONF_VALUE.test(value)) throw new BuilderRootError(`${name} '${value.slice(0, 80)}' cannot go into make.conf`);
  if (!PROFILE.test(s.profile)) throw new BuilderRootError(`profile '${s.profile.slice(0, 80)}' is not a profile path`);
  if ((await readdir(o.dir).catch(() => [])).length > 0) throw new BuilderRootError(`${o.dir} exists and is not empty`);

  // Everything below is ours: a failure removes it again, leaving nothing half-made.
  try {
    const etc = join(o.dir, "etc/portage");
    await mkdir(etc, { recursive: true });
    for (const entry of await readdir(join(o.template, "etc/portage"))) {
      if (!NOT_COPIED.has(entry)) await cp(join(o.template, "etc/portage", entry), join(etc, entry), { recursive: true, verbatimSymlinks: true });
    }
    const makeConf = (await lstat(join(etc, "make.conf")).catch(() => null))?.isDirectory() ? join(etc, "make.conf/zz-binfleet-platform") : join(etc, "make.conf");
    const block = [`# binfleet platforms create: the platform of ${o.from}`, ...values.filter(([, v]) => v !== "").map(([n, v]) => `${n}="${v}"`), ""].join("\n");
    await writeFile(makeConf, `${await readFile(makeConf, "utf8").catch(() => "")}${block}`);
    // The template's link with its profile replaced: absolute on a real binhost, relative in a root that holds its tree.
    const link = await readlink(join(o.template, "etc/portage/make.profile"));
    const at = link.lastIndexOf("/profiles/");
    if (at < 0) throw new BuilderRootError(`${o.template}: make.profile does not point into a repository's profiles/`);
    await symlink(`${link.slice(0, at)}/profiles/${s.profile}`, join(etc, "make.profile"));
    // A root that holds its repositories (var/db/repos) gets links to the same ones.
    const repos = join(o.template, "var/db/repos");
    await mkdir(join(o.dir, "var/db/repos"), { recursive: true });
    for (const repo of await readdir(repos).catch(() => [])) await symlink(await realpath(join(repos, repo)), join(o.dir, "var/db/repos", repo));
    await mkdir(join(o.dir, "var/db/pkg"), { recursive: true });
    await mkdir(join(o.dir, "var/lib/portage"), { recursive: true });
    await writeFile(join(o.dir, "var/lib/portage/world"), "");
  } catch (err) {
    await rm(o.dir, { recursive: true, force: true });
    throw err;
  }
}
