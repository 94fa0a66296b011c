import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { constants, gunzipSync } from "node:zlib";

/**
 * Portage sends If-Modified-Since = the TIMESTAMP of its cached index + 5 s (TIMESTAMP_TOLERANCE
 * in portage/util/_urlopen.py: "the difference between TIMESTAMP of the index' contents and the
 * file-mtime"), believes a 304, and on a 200 takes the new index only when Last-Modified is later
 * than that TIMESTAMP (bintree.py).
 */
export const PORTAGE_TIMESTAMP_TOLERANCE = 5;

/** Enough of a Packages file (or of its gzip) to hold its header. */
const HEAD_BYTES = 64 * 1024;
const CHUNK = 1024 * 1024;

/** TIMESTAMP of a Packages header, in seconds; null when the text has none. */
export function headerTimestamp(text: string): number | null {
  const end = text.indexOf("\n\n");
  const m = /^TIMESTAMP: *(\d{1,12}) *$/m.exec(end === -1 ? text : text.slice(0, end));
  return m === null ? null : Number(m[1]);
}

interface Version {
  /** What stat says of the file: unchanged, the content is the one digested. */
  readonly stat: string;
  readonly digest: string;
  readonly timestamp: number;
  /** The greatest TIMESTAMP of the versions served before this one. */
  readonly older: number;
  readonly lastModified: number;
}

/**
 * The Last-Modified of each binhost index (Packages, Packages.gz), chosen so that a client never
 * gets a 304 for an index that changed since its copy, and gets one otherwise.
 *
 * A client's copy is known only through the If-Modified-Since it sends: Portage's is its copy's
 * TIMESTAMP + 5 s; other clients send back the Last-Modified they were given. So a version's
 * Last-Modified L is at least every TIMESTAMP a client could hold of an earlier version + 6 s
 * (those clients ask with at most that + 5 s and get the new index; Portage takes it, since L is
 * later than its TIMESTAMP), greater than every earlier version's L, and otherwise its own
 * TIMESTAMP: a Portage client holding it asks with TIMESTAMP + 5 ≥ L and gets its 304. The file's
 * mtime says nothing a client could hold: Portage sets it to TIMESTAMP, and two indexes written
 * in one second have the same one.
 *
 * A client can only hold a version this server sent; those sent by an earlier process are taken
 * to have had earlier TIMESTAMPs than the first this one sees (Portage and binfleet write the
 * time of writing). When TIMESTAMP did not move (two indexes written in one second), L goes past
 * it: Portage clients holding the newer one are sent it again until the next index, never a stale one.
 */
export class IndexVersions {
  private readonly seen = new Map<string, Version>();

  /**
   * Last-Modified, in seconds, of the index open as `handle` (`path` names it, `st` is its fstat),
   * or null when it has no TIMESTAMP (it is served as any other file).
   */
  async lastModified(path: string, handle: FileHandle, st: Stats): Promise<number | null> {
    const stat = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const known = this.seen.get(path);
    if (known?.stat === stat) return known.lastModified;
    const { digest, head } = await digestOf(handle);
    const timestamp = headerTimestamp(path.endsWith(".gz") ? gunzipHead(head) : head.toString("latin1"));
    if (timestamp === null) return null;
    // Decided on what is known now: another request may have seen a newer version meanwhile.
    const prev = this.seen.get(path);
    if (prev?.digest === digest) {
      this.seen.set(path, { ...prev, stat });
      return prev.lastModified;
    }
    const older = prev === undefined ? timestamp - 1 : Math.max(prev.older, prev.timestamp);
    const lastModified = Math.max(timestamp, older + PORTAGE_TIMESTAMP_TOLERANCE + 1, prev === undefined ? 0 : prev.lastModified + 1);
    this.seen.set(path, { stat, digest, timestamp, older, lastModified });
    return lastModified;
  }
}

/** The content's digest and its first bytes, read from the open file (what is served is what was digested). */
async function digestOf(handle: FileHandle): Promise<{ digest: string; head: Buffer }> {
  const hash = createHash("sha256");
  const buf = Buffer.alloc(CHUNK);
  let head: Buffer | null = null;
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(buf, 0, CHUNK, position);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    head ??= Buffer.from(buf.subarray(0, Math.min(bytesRead, HEAD_BYTES)));
    position += bytesRead;
  }
  return { digest: hash.digest("hex"), head: head ?? Buffer.alloc(0) };
}

/**
 * The start of a gzip'd index as text; "" when it is not gzip. A cut stream is fine: only the
 * header is wanted. 16 KiB of deflate inflate to at most ~16 MiB, so the output is bounded.
 */
function gunzipHead(head: Buffer): string {
  try {
    return gunzipSync(head.subarray(0, 16 * 1024), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 17 * 1024 * 1024 }).toString("latin1");
  } catch {
    return "";
  }
}
