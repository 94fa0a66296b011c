import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * The settings binfleet puts into a node's Portage configuration, wherever Portage keeps them:
 * /etc/portage/binrepos.conf, repos.conf and make.conf are each a file or a directory of files,
 * and binfleet handles both. In a directory binfleet writes a file of its own; in a file, a marked
 * block that enrolling again replaces (never repeats), leaving everything else as the admin wrote it.
 */

/**
 * Whether a URL may go into one of Portage's config files: a plain URL of one of the schemes, with
 * nothing that could end a line, close a quoted value or expand (a forged bundle or command must
 * not inject settings).
 */
export function isConfigUrl(value: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(value).protocol) && !/[\s"'`$\\]/.test(value);
  } catch {
    return false;
  }
}

const isDirectory = (p: string): Promise<boolean> => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

async function replaceFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.binfleet-tmp`, text);
  await rename(`${file}.binfleet-tmp`, file);
}

/**
 * binfleet's part of a Portage setting that may be a file or a directory: its own file `name` in
 * the directory (or a new directory when neither exists), or a marked block at the end of the file.
 * Returns the file written.
 */
async function writePart(path: string, name: string, marker: string, body: string): Promise<string> {
  const begin = `# BEGIN binfleet-agent: ${marker}`;
  const end = "# END binfleet-agent";
  if ((await isDirectory(path)) || !(await exists(path))) {
    const file = join(path, name);
    await replaceFile(file, `# Written by binfleet-agent: ${marker}.\n${body}`);
    return file;
  }
  const text = await readFile(path, "utf8");
  const start = text.indexOf(begin);
  const stop = start < 0 ? -1 : text.indexOf(end, start);
  const kept = start >= 0 && stop > start ? text.slice(0, start) + text.slice(text.indexOf("\n", stop) + 1 || text.length) : text;
  await replaceFile(path, `${kept}${kept === "" || kept.endsWith("\n") ? "" : "\n"}${begin}\n${body}${end}\n`);
  return path;
}

/** Points the node's Portage at its binhost: a `[binfleet]` binrepo, verified (verify-signature is Portage's default). */
export function writeBinreposConf(root: string, url: string, why: string): Promise<string> {
  return writePart(join(root, "etc/portage/binrepos.conf"), "binfleet.conf", "the fleet's binhost", `# ${why}\n[binfleet]\npriority = 10\nsync-uri = ${url}\n`);
}

/** Syncs a repository from the binhost's snapshot mirror. */
export function writeReposConf(root: string, repo: string, uri: string): Promise<string> {
  return writePart(join(root, "etc/portage/repos.conf"), "zz-binfleet.conf", `sync ${repo} from the binhost's snapshot mirror`, `[${repo}]\nsync-type = rsync\nsync-uri = ${uri}\n`);
}

/** The block enrollments before this layout wrote into a make.conf file: replaced by the current one. */
const LEGACY_MAKE_CONF_BLOCK = /# BEGIN binfleet-agent enroll: fetch distfiles from the binhost first\n[\s\S]*?# END binfleet-agent enroll\n/;

/** make.conf settings of binfleet's (later assignments win, so they go last). */
export async function writeMakeConfSettings(root: string, lines: readonly string[]): Promise<string> {
  const makeConf = join(root, "etc/portage/make.conf");
  if (!(await isDirectory(makeConf)) && (await exists(makeConf))) {
    const text = await readFile(makeConf, "utf8");
    if (LEGACY_MAKE_CONF_BLOCK.test(text)) await replaceFile(makeConf, text.replace(LEGACY_MAKE_CONF_BLOCK, ""));
  }
  return writePart(makeConf, "zz-binfleet.conf", "settings for binfleet's binhost", `${lines.join("\n")}\n`);
}
