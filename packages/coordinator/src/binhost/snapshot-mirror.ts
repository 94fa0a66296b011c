import { mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@binfleet/shared";
import { waitForPort } from "@binfleet/nats-server";
import { execa } from "execa";

const startDaemon = (conf: string, host: string, port: number) =>
  execa("rsync", ["--daemon", "--no-detach", `--config=${conf}`, `--address=${host}`, `--port=${port}`], { reject: false, stdio: ["ignore", "ignore", "pipe"] });

/** A repository tree's snapshot id (its metadata/timestamp.chk), "" when it has none. */
export async function treeSnapshotId(tree: string): Promise<string> {
  return (await readFile(join(tree, "metadata/timestamp.chk"), "utf8").catch(() => "")).trim();
}

/** A snapshot directory name from its id (metadata/timestamp.chk is a date with spaces and a colon). */
const dirName = (id: string): string => id.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100) || "unknown";

/**
 * The fleet's one repository snapshot: a read-only rsync module served by a real
 * `rsync --daemon`, pointing at `current`, a symlink switched atomically (rename)
 * to each new snapshot. rsync resolves the module path when a client connects,
 * so a node syncing during a switch gets the old snapshot or the new one, whole.
 */
export class SnapshotMirror {
  private currentId = "";

  private constructor(
    private readonly dir: string,
    private readonly repo: string,
    private readonly daemon: ReturnType<typeof startDaemon>,
    /** rsync://host:port/<repo> */
    readonly uri: string,
    private readonly log: Logger,
  ) {}

  static async start(o: { stateDir: string; repo: string; host: string; port: number; publicHost?: string | undefined; log: Logger }): Promise<SnapshotMirror> {
    const dir = join(o.stateDir, "mirror");
    await mkdir(join(dir, "snapshots"), { recursive: true });
    const current = join(dir, "current");
    if ((await readlink(current).catch(() => null)) === null) {
      await mkdir(join(dir, "snapshots", "empty"), { recursive: true });
      await symlink(join("snapshots", "empty"), current);
    }
    const conf = join(dir, "rsyncd.conf");
    await writeFile(
      conf,
      `# Written by binfleet-coordinator: the fleet's repository snapshot, read-only.\npid file = ${join(dir, "rsyncd.pid")}\nuse chroot = no\nread only = yes\nlist = yes\nmunge symlinks = no\n\n[${o.repo}]\n  path = ${current}/\n  comment = binfleet snapshot of ${o.repo}\n`,
    );
    await rm(join(dir, "rsyncd.pid"), { force: true });
    const daemon = startDaemon(conf, o.host, o.port);
    // rsync says nothing when it listens: wait for the port, and say why it did not start.
    await waitForPort(o.host, o.port, Date.now() + 10_000).catch(async (err: Error) => {
      daemon.kill();
      throw new Error(`rsync --daemon did not start (${err.message}): ${String((await daemon).stderr).slice(-500)}`);
    });
    const mirror = new SnapshotMirror(dir, o.repo, daemon, `rsync://${o.publicHost ?? o.host}:${o.port}/${o.repo}`, o.log);
    mirror.currentId = await treeSnapshotId(current);
    return mirror;
  }

  /** The id of the snapshot nodes get now ("" before the first publish). */
  get snapshotId(): string {
    return this.currentId;
  }

  /**
   * Publishes a tree as the new snapshot: copied (unchanged files hard-linked to the previous
   * snapshot), then `current` switched by an atomic rename. Returns the snapshot id.
   */
  async publish(tree: string): Promise<string> {
    const id = await treeSnapshotId(tree);
    if (id === "") throw new Error(`${tree} has no metadata/timestamp.chk: not a synced tree`);
    if (id === this.currentId) return id;
    const target = join(this.dir, "snapshots", dirName(id));
    const previous = await readlink(join(this.dir, "current")).catch(() => null);
    const r = await execa("rsync", ["--archive", "--delete", ...(previous === null ? [] : [`--link-dest=${join(this.dir, previous)}`]), `${tree.replace(/\/+$/, "")}/`, `${target}/`], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`copying ${tree} into the mirror failed: ${String(r.all ?? "").slice(-500)}`);
    const tmp = join(this.dir, "current.tmp");
    await rm(tmp, { force: true });
    await symlink(join("snapshots", dirName(id)), tmp);
    await rename(tmp, join(this.dir, "current"));
    this.currentId = id;
    this.log.info({ repo: this.repo, snapshot: id }, "snapshot published");
    // Older snapshots go, except the previous one: a node that started syncing it finishes it.
    const keep = new Set([dirName(id), ...(previous === null ? [] : [previous.replace(/^snapshots\//, "")])]);
    for (const d of await readdir(join(this.dir, "snapshots"))) if (!keep.has(d)) await rm(join(this.dir, "snapshots", d), { recursive: true, force: true });
    return id;
  }

  async stop(): Promise<void> {
    this.daemon.kill("SIGTERM");
    await this.daemon;
  }
}
