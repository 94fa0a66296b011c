// Test support: rebuilds, from ../shared/fixtures, the lab machine the Portage captures were made on,
// as a portage-sim root, so the simulator's output can be compared with real Portage's byte for byte.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture } from "@binfleet/shared/testing";

/** The lab profile binfleet/amd64, as the fixtures README describes it. */
const LAB_MAKE_DEFAULTS = `ARCH="amd64"
ACCEPT_KEYWORDS="amd64"
CHOST="x86_64-pc-linux-gnu"
CFLAGS="-O2 -pipe"
CXXFLAGS="-O2 -pipe"
LDFLAGS="-Wl,-O1 -Wl,--as-needed"
USE="bar"
PYTHON_TARGETS="python3_12"
USE_EXPAND="PYTHON_TARGETS"
USE_EXPAND_HIDDEN="ELIBC KERNEL USERLAND"
USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"
USE_EXPAND_UNPREFIXED="ARCH"
IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
ELIBC="glibc"
KERNEL="linux"
USERLAND="GNU"
`;

export interface LabRoot {
  readonly root: string;
  readonly repo: string;
  cleanup(): Promise<void>;
}

export interface LabState {
  /** The state of pretend/14–17: vdb node-after-update and world.node-after-update (default: before the update). */
  readonly afterUpdate?: boolean;
  /** Writes the lab's binrepos.conf/binfleet.conf with this sync-uri (pretend/13–17). */
  readonly binreposUri?: string;
}

/** A node root in the state the pretend/ captures were made in (world.node-before-update, libdemo ssl, by default). */
export async function labNodeRoot(state: LabState = {}): Promise<LabRoot> {
  const tmp = await mkdtemp(join(tmpdir(), "binfleet-lab-"));
  const repo = join(tmp, "repo");
  await mkdir(join(repo, "profiles/binfleet/amd64"), { recursive: true });
  await writeFile(join(repo, "profiles/repo_name"), "gentoo\n");
  await writeFile(join(repo, "profiles/binfleet/amd64/make.defaults"), LAB_MAKE_DEFAULTS);
  await cp(fixture("portage/md5-cache"), join(repo, "metadata/md5-cache"), { recursive: true });
  const root = join(tmp, "root");
  const etc = join(root, "etc/portage");
  await mkdir(join(etc, "package.use"), { recursive: true });
  await mkdir(join(etc, "repos.conf"), { recursive: true });
  await mkdir(join(root, "var/db/repos"), { recursive: true });
  await mkdir(join(root, "var/lib/portage"), { recursive: true });
  await writeFile(join(etc, "make.conf"), await readFile(fixture("portage/node-config/make.conf")));
  await writeFile(join(etc, "package.use/binfleet"), await readFile(fixture("portage/node-config/package.use/binfleet")));
  await writeFile(join(etc, "repos.conf/gentoo.conf"), await readFile(fixture("portage/node-config/repos.conf/gentoo.conf")));
  // The capture's make.profile target, absolute as on the lab machine (portage-sim maps it into the root).
  await symlink((await readFile(fixture("portage/node-config/make.profile"), "utf8")).trim(), join(etc, "make.profile"));
  await symlink(repo, join(root, "var/db/repos/gentoo"));
  await writeFile(join(root, "var/lib/portage/world"), await readFile(fixture(`portage/world/world.node-${state.afterUpdate ? "after" : "before"}-update`)));
  await cp(fixture(`portage/vdb/node-${state.afterUpdate ? "after-update" : "initial"}`), join(root, "var/db/pkg"), { recursive: true });
  if (state.binreposUri !== undefined) {
    const conf = (await readFile(fixture("portage/node-config/binrepos.conf/binfleet.conf"), "utf8")).replace("http://127.0.0.1:8080", state.binreposUri);
    await mkdir(join(etc, "binrepos.conf"), { recursive: true });
    await writeFile(join(etc, "binrepos.conf/binfleet.conf"), conf);
  }
  return { root, repo, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}
