import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, rename, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { BinhostServer } from "@binfleet/coordinator/internal";
import type { Logger } from "@binfleet/shared";
import { execa } from "execa";

export interface BinhostAbuseResult {
  /** Requests sent: hostile ones, fetches of a file renamed in and out, downloads abandoned. */
  readonly requests: number;
  /** Requests the server gave no answer to (those the client itself abandoned not counted). */
  readonly unanswered: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Exceptions nothing caught while the server worked: each would have ended the coordinator. */
  readonly crashes: number;
  /** Descriptors of a downloaded file still open after its clients hung up and it was deleted; null without /proc. */
  readonly leakedFiles: number | null;
  readonly serverUp: boolean;
}

const BIG = "app-misc/big/big-1.gpkg.tar";
const SMALL = "app-misc/hello/hello-1.gpkg.tar";

/** One raw HTTP/1.1 exchange; the status, or null when the connection ended without one. */
function exchange(port: number, head: string, abandon: "never" | "mid-request" | "first-bytes"): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let got = "";
    const done = (status: number | null): void => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(10_000, () => done(null));
    socket.on("error", () => done(null));
    const status = (): number | null => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      return m === null ? null : Number(m[1]);
    };
    socket.on("data", (d: Buffer) => {
      if (got.length < 64) got += d.toString("latin1", 0, Math.min(d.length, 64));
      if (abandon === "first-bytes" && status() !== null) done(status());
    });
    socket.on("end", () => done(status()));
    if (abandon === "mid-request") {
      socket.write(head.slice(0, Math.floor(head.length / 2)), () => done(-1));
      return;
    }
    socket.write(head);
  });
}

/**
 * The binhost under abuse, as an outside probe would go at it: hostile paths, headers and
 * methods, a binpkg renamed in and out of $PKGDIR while clients fetch it, and 200 downloads of a
 * 64 MiB binpkg abandoned after their first bytes. Counts what went unanswered, what nothing
 * caught, and the descriptors left open.
 */
export async function abuseBinhost(o: { dir: string; hostile: number; rand: () => number; log: Logger }): Promise<BinhostAbuseResult> {
  const pkgdir = join(o.dir, "pkgdir");
  await mkdir(join(pkgdir, "app-misc/hello"), { recursive: true });
  await mkdir(join(pkgdir, "app-misc/big"), { recursive: true });
  await mkdir(join(o.dir, "distfiles"), { recursive: true });
  await writeFile(join(pkgdir, "Packages"), `ARCH: amd64\nPACKAGES: 1\nTIMESTAMP: ${Math.floor(Date.now() / 1000)}\nVERSION: 0\n\nCPV: app-misc/hello-1\n\n`);
  await writeFile(join(pkgdir, SMALL), Buffer.alloc(256 * 1024, 7));
  await writeFile(join(pkgdir, BIG), "");
  await truncate(join(pkgdir, BIG), 64 * 1024 * 1024);
  await writeFile(join(o.dir, "secret"), "secret\n");
  await symlink(join(o.dir, "secret"), join(pkgdir, "escape"));
  await execa("mkfifo", [join(pkgdir, "app-misc/fifo.gpkg.tar")], { reject: false });
  let crashes = 0;
  const crashed = (): void => void crashes++;
  process.on("uncaughtException", crashed);
  process.on("unhandledRejection", crashed);
  const server = await BinhostServer.start({ host: "127.0.0.1", port: 0, platforms: [{ name: "amd64", pkgdir }], log: o.log, distdirs: [join(o.dir, "distfiles")] });
  const port = Number(new URL(server.url).port);
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let unanswered = 0;
  const count = (status: number | null): void => {
    requests++;
    if (status === null) unanswered++;
    else if (status >= 0) byStatus[status] = (byStatus[status] ?? 0) + 1;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(o.rand() * xs.length)]!;
  try {
    const paths = ["/binhost/amd64/Packages", "/binhost/amd64/Packages.gz", `/binhost/amd64/${SMALL}`, "/binhost/amd64/app-misc/fifo.gpkg.tar", "/binhost/amd64/escape", "/binhost/amd64/app-misc/", "/binhost/amd64/app-misc", "/binhost/amd64/../../secret", "/binhost/amd64/%2e%2e/%2e%2e/secret", "/binhost/amd64/%ff%fe", "/binhost/amd64/%00", "/binhost/nope/Packages", "/distfiles/layout.conf", "/distfiles/../secret", "/distfiles/%2e%2e%2fsecret", "/healthz", "/metrics", `/binhost/amd64/${"a/".repeat(2000)}`, "*", "//", "/binhost/amd64/\u00e9\u00e8"];
    const headers = ["If-Modified-Since: 2030", "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT", `If-Modified-Since: ${new Date().toUTCString()}`, "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT", `If-Modified-Since: ${"x".repeat(8000)}`, "Range: bytes=0-0", "Range: bytes=-1", "Range: bytes=99999999999999999999-", "Range: bytes=5-1", "Range: bytes=0-1,5-9", "Range: lines=1-2", "Authorization: Basic !!!", "Connection: keep-alive", "Transfer-Encoding: chunked", "Content-Length: -1", "X-Junk: \u0001\u0002"];
    for (let i = 0; i < o.hostile; i++) {
      const extra = Array.from({ length: Math.floor(o.rand() * 4) }, () => pick(headers)).join("\r\n");
      const head = `${pick(["GET", "GET", "GET", "HEAD", "POST", "DELETE", "BREW", "G\u00c9T"])} ${pick(paths)} HTTP/1.1\r\nHost: binhost\r\nConnection: close\r\n${extra === "" ? "" : `${extra}\r\n`}\r\n`;
      count(await exchange(port, head, pick(["never", "never", "never", "mid-request", "first-bytes"])));
    }

    // A binpkg renamed out of $PKGDIR and back, and replaced, while eight clients fetch it.
    let renaming = true;
    const fetcher = async (): Promise<void> => {
      while (renaming) count(await exchange(port, `GET /binhost/amd64/${SMALL} HTTP/1.1\r\nHost: binhost\r\nConnection: close\r\n\r\n`, "never"));
    };
    const fetchers = Array.from({ length: 8 }, fetcher);
    for (let i = 0; i < 500; i++) {
      await rename(join(pkgdir, SMALL), join(o.dir, "aside"));
      await rename(join(o.dir, "aside"), join(pkgdir, SMALL));
      if (i % 10 === 0) {
        await writeFile(join(o.dir, "new"), Buffer.alloc(256 * 1024, i % 256));
        await rename(join(o.dir, "new"), join(pkgdir, SMALL));
      }
    }
    renaming = false;
    await Promise.all(fetchers);

    // 200 downloads of 64 MiB abandoned after their first bytes, then the file deleted.
    for (let batch = 0; batch < 10; batch++) {
      const abandoned = Array.from({ length: 20 }, () => exchange(port, `GET /binhost/amd64/${BIG} HTTP/1.1\r\nHost: binhost\r\n\r\n`, "first-bytes"));
      for (const status of await Promise.all(abandoned)) count(status);
    }
    await rm(join(pkgdir, BIG));
    const open = (): number =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(pkgdir, BIG));
        } catch {
          return false;
        }
      }).length;
    let leakedFiles: number | null = null;
    if (existsSync("/proc/self/fd")) {
      // The server learns of each hang-up when its socket closes: give it a moment, not forever.
      for (let i = 0; i < 100 && open() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      leakedFiles = open();
    }
    const serverUp = (await exchange(port, "GET /healthz HTTP/1.1\r\nHost: binhost\r\nConnection: close\r\n\r\n", "never")) === 200;
    return { requests, unanswered, byStatus, crashes, leakedFiles, serverUp };
  } finally {
    await server.close();
    process.off("uncaughtException", crashed);
    process.off("unhandledRejection", crashed);
  }
}
