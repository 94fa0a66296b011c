import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReplayState } from "@binfleet/shared";

const KEEP_IDS = 1000;

/** Replay protection that survives restarts: the highest sequence and the recent command ids. */
export class CommandState {
  private lastSequence = 0n;
  private ids: string[] = [];

  private constructor(private readonly file: string) {}

  static async load(stateDir: string): Promise<CommandState> {
    const s = new CommandState(join(stateDir, "commands.json"));
    try {
      const data = JSON.parse(await readFile(s.file, "utf8")) as { lastSequence: string; ids: string[] };
      s.lastSequence = BigInt(data.lastSequence);
      s.ids = data.ids.slice(-KEEP_IDS);
    } catch {
      // first start, or an unreadable file: start from zero (sequences only grow)
    }
    return s;
  }

  snapshot(): ReplayState {
    return { lastSequence: this.lastSequence, seenIds: new Set(this.ids) };
  }

  /** Records an accepted command before it runs, so a crash cannot make it run twice. */
  async accept(id: string, sequence: bigint): Promise<void> {
    this.lastSequence = sequence;
    this.ids = [...this.ids, id].slice(-KEEP_IDS);
    await mkdir(join(this.file, ".."), { recursive: true });
    await writeFile(`${this.file}.tmp`, JSON.stringify({ lastSequence: String(this.lastSequence), ids: this.ids }));
    await rename(`${this.file}.tmp`, this.file);
  }
}
