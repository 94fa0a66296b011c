import { type WriteStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Logger } from "@binfleet/shared";
import type { BinhostResponse } from "./binhost-server.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number): string => String(n).padStart(2, "0");

/** `[04/Dec/2026:10:20:00 +0000]`: the common log format's date, in UTC. */
function clfDate(d: Date): string {
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
}

/** A field as Apache escapes it: quotes, backslashes and control or non-ASCII bytes as \xHH, so a line is one line and fields split. */
function escape(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** One request in the common log format: `host ident authuser [date] "request" status bytes`. */
export function commonLogLine(r: BinhostResponse): string {
  const user = r.user === null || r.user === "" ? "-" : escape(r.user).replace(/ /g, "\\x20");
  // The URL is the client's: a huge one is cut (Apache's request line limit is 8190 bytes too).
  const request = escape(`${r.method} ${r.url.slice(0, 8000)} HTTP/${r.httpVersion}`);
  return `${r.remote} - ${user} ${clfDate(r.at)} "${request}" ${r.status} ${r.bytes === null || r.bytes === 0 ? "-" : r.bytes}\n`;
}

export class AccessLogError extends Error {
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(`access log ${file} cannot be opened: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = "AccessLogError";
  }
}

/** `http.accessLog` for standard output: systemd gives it to the journal (the daemon's own logs are on stderr). */
export const STDOUT = "-";

/**
 * The binhost's access log (`http.accessLog`): one common-log-format line per request, appended
 * to a file (or written to standard output). `reopen` (on SIGHUP) starts a new file after
 * logrotate moved the old one away. A log that cannot be written is reported, never a reason to
 * stop serving.
 */
export class AccessLog {
  private stream: Writable;
  private failed = false;

  private constructor(
    readonly file: string,
    private readonly log: Logger,
    private readonly stdout: Writable | null,
  ) {
    this.stream = stdout ?? this.open();
  }

  /**
   * Opens (creating) the file for appending, or takes standard output for {@link STDOUT}; rejects
   * when the file cannot be opened, so a bad path is a configuration error at start.
   */
  static async open(file: string, log: Logger, stdout: Writable = process.stdout): Promise<AccessLog> {
    if (file === STDOUT) return new AccessLog(file, log, stdout);
    const a = new AccessLog(file, log, null);
    try {
      await Promise.race([once(a.stream, "open"), once(a.stream, "error").then(([err]) => Promise.reject(err as Error))]);
    } catch (err) {
      throw new AccessLogError(file, { cause: err });
    }
    return a;
  }

  private open(): WriteStream {
    const s = createWriteStream(this.file, { flags: "a", mode: 0o640 });
    s.on("error", (err) => {
      if (!this.failed) this.log.error({ file: this.file, err: err.message }, "access log not written");
      this.failed = true;
    });
    return s;
  }

  write(r: BinhostResponse): void {
    this.stream.write(commonLogLine(r));
  }

  /** Closes the file and opens its path again (logrotate's postrotate, SIGHUP); nothing to do for standard output. */
  async reopen(): Promise<void> {
    if (this.stdout !== null) return;
    const old = this.stream;
    this.failed = false;
    this.stream = this.open();
    await new Promise<void>((resolve) => old.end(resolve));
  }

  /** Ends the file (standard output stays open: it is the process's). */
  close(): Promise<void> {
    if (this.stdout !== null) return Promise.resolve();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
