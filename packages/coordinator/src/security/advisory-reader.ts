import { lstat, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { GLSA_MAX_BYTES, type GlsaAdvisory, GlsaFormatError, clip, parseGlsa } from "@binfleet/shared";

/** An advisory file of the tree that was not read, and why (for logs and `binfleet glsa`). */
export interface RefusedAdvisory {
  readonly file: string;
  readonly error: string;
}

export interface TreeAdvisories {
  /** By id ("202611-01"). */
  readonly advisories: ReadonlyMap<string, GlsaAdvisory>;
  readonly refused: readonly RefusedAdvisory[];
}

/** `glsa-<id>.xml`, the id Gentoo's `YYYYMM-NN`: Portage finds an advisory by it. */
const FILE_RE = /^glsa-(\d{6}-\d{2,6})\.xml$/;

/** More files than the repository has ever held (some 5,000): a tree with more is refused past this many. */
export const MAX_ADVISORY_FILES = 50_000;

/**
 * Reads the security advisories of ebuild repositories (`metadata/glsa/glsa-*.xml`). The tree
 * comes from upstream through a sync, so each file is hostile input: one that is not a regular
 * file, over {@link GLSA_MAX_BYTES} (refused before it is read), not a GLSA as Portage reads it,
 * or whose `<glsa id>` is not its file name's, is refused with the reason; the others are read.
 * An id in several repositories keeps its most revised advisory.
 */
export async function readAdvisories(repoDirs: readonly string[]): Promise<TreeAdvisories> {
  const advisories = new Map<string, GlsaAdvisory>();
  const refused: RefusedAdvisory[] = [];
  let files = 0;
  for (const repo of repoDirs) {
    const dir = join(repo, "metadata/glsa");
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const m = FILE_RE.exec(name);
      if (m === null) continue;
      const file = join(dir, name);
      if (++files > MAX_ADVISORY_FILES) {
        refused.push({ file: dir, error: `more than ${MAX_ADVISORY_FILES} advisory files: the rest are not read` });
        break;
      }
      const advisory = await readOne(file, m[1]!).catch((err: unknown) => {
        refused.push({ file, error: err instanceof Error ? err.message : String(err) });
        return null;
      });
      if (advisory === null) continue;
      const seen = advisories.get(advisory.id);
      if (seen === undefined || advisory.revisionCount > seen.revisionCount) advisories.set(advisory.id, advisory);
    }
  }
  return { advisories, refused };
}

async function readOne(file: string, id: string): Promise<GlsaAdvisory> {
  const st = await lstat(file);
  if (!st.isFile()) throw new GlsaFormatError("not a regular file", "structure", null, null);
  // Checked before reading: a 50 MB file is never loaded (parseGlsa checks again what it is given).
  if (st.size > GLSA_MAX_BYTES) throw new GlsaFormatError(`${st.size} bytes: larger than ${GLSA_MAX_BYTES} bytes (real advisories are a few KiB)`, "too-large", null, null);
  const advisory = parseGlsa(await readFile(file));
  if (advisory.id !== id) throw new GlsaFormatError(`<glsa id="${clip(advisory.id, 40)}"> in the file of advisory ${id}`, "structure", null, "glsa");
  return advisory;
}
