import { mkdtemp, rm, statfs } from "node:fs/promises";
import { join } from "node:path";

/** statfs(2)'s f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

export interface SimulatedDisks {
  /** Where the simulated machines' files go. */
  readonly path: string;
  /** Whether they are in memory (a tmpfs), gone when `remove` runs. */
  readonly inMemory: boolean;
  /** Removes an in-memory directory; a directory on disk stays, with the rest of the state. */
  remove(): Promise<void>;
}

/**
 * The disks of the demo's simulated machines: a fresh directory in /dev/shm when that is a tmpfs with
 * `room` bytes free, else `onDisk`. Two dozen simulated nodes and their builders write ~80,000 small
 * files (roots, vdb, binpkgs); each production machine writes its share to its own disk, while here
 * one disk would take all of it: on ext4 that is most of the demo's system time.
 */
export async function simulatedDisks(onDisk: string, room = 2 * 1024 ** 3, shm = "/dev/shm"): Promise<SimulatedDisks> {
  const fs = await statfs(shm).catch(() => null);
  if (fs === null || fs.type !== TMPFS_MAGIC || fs.bavail * fs.bsize < room) return { path: onDisk, inMemory: false, remove: () => Promise.resolve() };
  const path = await mkdtemp(join(shm, "binfleet-demo-"));
  return { path, inMemory: true, remove: () => rm(path, { recursive: true, force: true }) };
}
