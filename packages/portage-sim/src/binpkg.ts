import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type InstalledPackage, type Stanza, field } from "@binfleet/shared/portage";
import { compressorFor } from "./compression.js";
import type { DigestCache } from "./digest-cache.js";
import { SimError } from "./errors.js";
import { type GpkgSigning, createGpkg, openGpkg } from "./gpkg.js";
import { imageFiles, packageMetadata } from "./package-metadata.js";
import { nextBuildId, readPkgdirIndex, storeBinpkg, withPkgdirLock, writePkgdirIndex } from "./pkgdir.js";
import type { PortageConfig } from "./portage-config.js";
import type { Ebuild, Repository } from "./repository.js";

/** FEATURES=binpkg-signing needs a key and a home; Portage refuses to start without them. */
export function signingConfig(config: PortageConfig): GpkgSigning | null {
  return config.features.has("binpkg-signing") ? signingSettings(config) : null;
}

/** BINPKG_GPG_SIGNING_*: what signs a package, whether or not FEATURES asks for signing (gpkg-sign signs anyway). */
export function signingSettings(config: PortageConfig): GpkgSigning {
  const home = config.vars["BINPKG_GPG_SIGNING_GPG_HOME"] ?? "";
  const key = config.vars["BINPKG_GPG_SIGNING_KEY"] ?? "";
  if (home === "") throw new SimError("!!! BINPKG_GPG_SIGNING_GPG_HOME is not set", 1, "!!! BINPKG_GPG_SIGNING_GPG_HOME is not set\n");
  if (key === "") throw new SimError("!!! BINPKG_GPG_SIGNING_KEY is not set", 1, "!!! BINPKG_GPG_SIGNING_KEY is not set\n");
  return { home: config.root.path(home), key, digest: config.vars["BINPKG_GPG_SIGNING_DIGEST"] || "SHA512" };
}

export function verifyHome(config: PortageConfig): string {
  return config.root.path(config.vars["BINPKG_GPG_VERIFY_GPG_HOME"] || "/etc/portage/gnupg");
}

export interface BuiltBinpkg {
  readonly path: string;
  readonly buildId: number | null;
  readonly stanza: Stanza;
}

/**
 * Packages a built ebuild into $PKGDIR as Portage does with FEATURES=buildpkg:
 * a gpkg (signed with binpkg-signing, then verified against the builder's own
 * trust as Portage does on injection), multi-instance naming, and an atomic
 * rewrite of Packages and Packages.gz under the PKGDIR lock.
 */
export async function buildBinpkg(
  config: PortageConfig,
  repo: Repository,
  e: Ebuild,
  use: ReadonlySet<string>,
  installed: readonly InstalledPackage[],
  buildTime: number,
  cache: DigestCache | null = null,
): Promise<BuiltBinpkg> {
  const format = (config.vars["BINPKG_FORMAT"] || "gpkg").trim();
  if (format !== "gpkg") throw new SimError(`!!! BINPKG_FORMAT='${format}' is not supported by portage-sim (gpkg)`);
  const compressor = compressorFor(config.vars["BINPKG_COMPRESS"]);
  const signing = signingConfig(config);
  const multi = config.features.has("binpkg-multi-instance");
  const pf = `${e.cpv.package}-${e.cpv.version.raw}`;
  return withPkgdirLock(config.pkgdir, async () => {
    const index = await readPkgdirIndex(config.pkgdir);
    const buildId = multi ? nextBuildId(index, e.cpv.cpv) : null;
    const rel = multi ? `${e.cpv.cp}/${pf}-${buildId}.gpkg.tar` : `${e.cpv.category}/${pf}.gpkg.tar`;
    const files = imageFiles(e, use);
    const size = Object.values(files).reduce((n, f) => n + Buffer.byteLength(f), 0);
    const metadata = packageMetadata(e, use, config, repo, installed, { buildTime, buildId, size });
    const data = await createGpkg({ basename: multi ? `${pf}-${buildId}` : pf, metadata, files, mtime: buildTime }, compressor, signing, cache);
    if (signing !== null) {
      try {
        await openGpkg(data, verifyHome(config), cache);
      } catch (err) {
        const text = err instanceof SimError ? (err.stderrText ?? err.message) : String(err);
        throw new SimError("!!! Invalid binary package", 1, `${text}!!! Invalid binary package: '${config.pkgdir}/${rel}'\n`);
      }
    }
    const stanza = await storeBinpkg(config.pkgdir, rel, data, { cpv: e.cpv.cpv, buildId, metadata, repo: e.repo });
    const others = (index?.packages ?? []).filter((s) => field(s, "PATH") !== rel);
    try {
      await writePkgdirIndex(config, config.pkgdir, [...others, stanza]);
    } catch (err) {
      // A package the index does not list is no package: nothing is left that a client could fetch.
      if ((index?.packages ?? []).every((s) => field(s, "PATH") !== rel)) await rm(join(config.pkgdir, rel), { force: true });
      throw err;
    }
    return { path: rel, buildId, stanza };
  });
}
