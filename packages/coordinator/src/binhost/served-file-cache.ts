import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Memory the binhost keeps served files in, unless configured otherwise (`http.cacheMiB`). */
export const DEFAULT_CACHE_MIB = 256;

/** The largest file kept: a fraction of the budget, so one large package cannot empty the cache. */
const MAX_FILE_SHARE = 8;
const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** A file's content for one response; released when the response is done with it. */
export interface CachedContent {
  readonly body: Buffer;
  release(): void;
}

/**
 * The content of recently served files, in memory. Node has no sendfile: without this, every
 * response copies its file from the page cache into the process before copying it into the socket,
 * and the read costs about as much CPU as the write (a profile of 64 clients fetching 512 KiB
 * packages: 1.9 s of the server's 6 s in reads, in 64 KiB pieces). A rollout sends the same
 * packages to every node of a wave: after the first, only the write is left.
 *
 * An entry is a file's content at one (device, inode, size, mtime), checked against the fstat of
 * the file each request opened: $PKGDIR's files are replaced by rename (a new inode), never
 * rewritten in place. The budget bounds everything this holds, entries and reads under way: an
 * entry a response is still sending (to a slow client) stays, the least recently served of the
 * others go first, and when none can go the file is streamed from disk instead.
 */
export class ServedFileCache {
  /** In least recently served order. */
  private readonly entries = new Map<string, Buffer>();
  /** Reads under way: concurrent requests for a file not kept yet read it once. */
  private readonly loading = new Map<string, Promise<Buffer>>();
  /** How many responses are sending each body. */
  private readonly sending = new Map<Buffer, number>();
  /** Bytes of the entries and of the reads under way. */
  private held = 0;
  private readonly maxFile: number;

  constructor(private readonly budget: number) {
    this.maxFile = Math.min(Math.floor(budget / MAX_FILE_SHARE), MAX_FILE_BYTES);
  }

  /** Bytes held now. */
  get size(): number {
    return this.held;
  }

  /**
   * The content of the open file `handle` (whose fstat is `st`): kept, or read whole and kept.
   * Null for a file too large to keep, or when the budget has no room: the caller streams it.
   */
  async content(handle: FileHandle, st: Stats): Promise<CachedContent | null> {
    if (st.size > this.maxFile) return null;
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      return this.lease(kept);
    }
    const under = this.loading.get(key);
    if (under !== undefined) return this.lease(await under);
    if (!this.makeRoom(st.size)) return null;
    this.held += st.size;
    const read = readWhole(handle, st.size).finally(() => this.loading.delete(key));
    this.loading.set(key, read);
    let body: Buffer;
    try {
      body = await read;
    } catch (err) {
      this.held -= st.size;
      throw err;
    }
    this.entries.set(key, body);
    return this.lease(body);
  }

  private lease(body: Buffer): CachedContent {
    this.sending.set(body, (this.sending.get(body) ?? 0) + 1);
    let released = false;
    return {
      body,
      release: () => {
        if (released) return;
        released = true;
        const left = this.sending.get(body)! - 1;
        if (left > 0) this.sending.set(body, left);
        else this.sending.delete(body);
      },
    };
  }

  /** Drops least recently served entries no response is sending until `bytes` more fit; whether they do. */
  private makeRoom(bytes: number): boolean {
    for (const [key, body] of this.entries) {
      if (this.held + bytes <= this.budget) break;
      if (this.sending.has(body)) continue;
      this.entries.delete(key);
      this.held -= body.length;
    }
    return this.held + bytes <= this.budget;
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
