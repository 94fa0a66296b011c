import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The report waiting to be acknowledged by JetStream, on disk: a report made
 * while the coordinator or the network is down survives an agent restart and
 * is sent when the bus returns. Only the newest report matters, so a new one
 * replaces an unsent older one.
 */
export class ReportOutbox {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "outbox");
  }

  /**
   * Queues a report. `id` (its content hash and sequence) is the JetStream message id: a resend of
   * the same item after a crash is dropped as a duplicate, a new report with unchanged content is not.
   */
  async put(data: Uint8Array, hash: string, id: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, "report.tmp"), data);
    await writeFile(join(this.dir, "report.hash.tmp"), `${hash} ${id}`);
    await rename(join(this.dir, "report.tmp"), join(this.dir, "report.bin"));
    await rename(join(this.dir, "report.hash.tmp"), join(this.dir, "report.hash"));
  }

  async peek(): Promise<{ data: Uint8Array; hash: string; id: string } | null> {
    try {
      const [data, ids] = await Promise.all([readFile(join(this.dir, "report.bin")), readFile(join(this.dir, "report.hash"), "utf8")]);
      const [hash = "", id = hash] = ids.trim().split(" ");
      return { data, hash, id };
    } catch {
      return null;
    }
  }

  /** Removes the report if it is still the one that was sent (a newer one may have replaced it meanwhile). */
  async done(id: string): Promise<void> {
    const current = await this.peek();
    if (current?.id !== id) return;
    await rm(join(this.dir, "report.bin"), { force: true });
    await rm(join(this.dir, "report.hash"), { force: true });
  }

  /** The hash of the last report JetStream acknowledged: identical reports are not resent. */
  async lastSent(): Promise<string> {
    return (await readFile(join(this.dir, "sent.hash"), "utf8").catch(() => "")).trim();
  }

  async markSent(hash: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, "sent.hash.tmp"), hash);
    await rename(join(this.dir, "sent.hash.tmp"), join(this.dir, "sent.hash"));
  }
}
