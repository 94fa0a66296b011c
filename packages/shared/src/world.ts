import { type Atom, parseAtom } from "./atom.js";
import { PortageFormatError } from "./errors.js";

export interface WorldFile {
  readonly atoms: readonly Atom[];
  /** Lines Portage would skip with a warning (invalid atoms), with their 1-based line numbers. */
  readonly invalid: readonly { readonly line: number; readonly text: string; readonly error: string }[];
}

/** Parses `/var/lib/portage/world`: one atom per line; blank lines and `#` comments ignored. */
export function parseWorld(text: string): WorldFile {
  const atoms: Atom[] = [];
  const invalid: { line: number; text: string; error: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    try {
      const atom = parseAtom(line);
      if (atom.blocker !== null || atom.useDeps.length > 0) throw new PortageFormatError("world entries cannot be blockers or carry USE deps", "world", line, i + 1);
      atoms.push(atom);
    } catch (err) {
      if (!(err instanceof PortageFormatError)) throw err;
      invalid.push({ line: i + 1, text: line, error: err.message });
    }
  });
  return { atoms, invalid };
}

/** Parses `/var/lib/portage/world_sets`: one `@set` per line. */
export function parseWorldSets(text: string): string[] {
  const sets: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!/^@[A-Za-z0-9_][A-Za-z0-9_+.:/-]*$/.test(line)) {
      throw new PortageFormatError(`invalid set name in world_sets: '${line}'`, "world", line);
    }
    sets.push(line);
  }
  return sets;
}

/** Writes a world file as Portage does: unique entries, sorted, one per line. */
export function formatWorld(entries: Iterable<string>): string {
  const sorted = [...new Set(entries)].sort();
  return sorted.length === 0 ? "" : `${sorted.join("\n")}\n`;
}
