import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Memory the binhost keeps served files in, unless configured otherwise (`http.cacheMiB`). */
export const DEFAULT_CACHE_MIB = 256;

/** The largest file kept: a fraction of the budget, so one large package cannot empty the cache. */
const MAX_FILE_SHARE = 8;
const MAX_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The content of recently served files, in memory. Node has no sendfile: without this, every
 * response copies its file from the page cache into the process before copying it into the socket,
 * and the read costs about as much CPU as the write (a profile of 64 clients fetching 512 KiB
 * packages: 1.9 s of the server's 6 s in reads, in 64 KiB pieces). A rollout sends the same
 * packages to every node of a wave: after the first, only the write is left.
 *
 * An entry is a file's content at one (device, inode, size, mtime), checked against the fstat of
 * the file each request opened: $PKGDIR's files are replaced by rename (a new inode), never
 * rewritten in place. Least recently served entries go first when the budget is full.
 */
export class ServedFileCache {
  /** In least recently served order. */
  private readonly entries = new Map<string, Buffer>();
  /** Reads under way: concurrent requests for a file not kept yet read it once. */
  private readonly loading = new Map<string, Promise<Buffer>>();
  private bytes = 0;
  private readonly maxFile: number;

  constructor(private readonly budget: number) {
    this.maxFile = Math.min(Math.floor(budget / MAX_FILE_SHARE), MAX_FILE_BYTES);
  }

  /** Bytes kept. */
  get size(): number {
    return this.bytes;
  }

  /**
   * The content of the open file `handle` (whose fstat is `st`): kept, or read whole and kept.
   * Null for a file too large to keep: the caller streams it.
   */
  async content(handle: FileHandle, st: Stats): Promise<Buffer | null> {
    if (st.size > this.maxFile) return null;
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      return kept;
    }
    const under = this.loading.get(key);
    if (under !== undefined) return under;
    const read = readWhole(handle, st.size).finally(() => this.loading.delete(key));
    this.loading.set(key, read);
    const content = await read;
    this.keep(key, content);
    return content;
  }

  private keep(key: string, content: Buffer): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, content);
    this.bytes += content.length;
    for (const [k, old] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(k);
      this.bytes -= old.length;
    }
  }
}

/** All `size` bytes of the file; a file that shrank while read is an error, never a short body. */
async function readWhole(handle: FileHandle, size: number): Promise<Buffer> {
  const content = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; ) {
    const { bytesRead } = await handle.read(content, at, size - at, at);
    if (bytesRead === 0) throw new Error(`file shrank to ${at} of ${size} bytes while read`);
    at += bytesRead;
  }
  return content;
}
