import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

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

/** Points the node's Portage at its binhost: binfleet's own binrepos.conf file, replaced whole. */
export async function writeBinreposConf(root: string, url: string, why: string): Promise<string> {
  const file = join(root, "etc/portage/binrepos.conf/binfleet.conf");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.binfleet-tmp`, `# Written by binfleet-agent: ${why}.\n[binfleet]\npriority = 10\nsync-uri = ${url}\n`);
  await rename(`${file}.binfleet-tmp`, file);
  return file;
}
