// binhost.serve: the coordinator's binhost server against nginx serving the same $PKGDIR, 64 clients.
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { BinhostServer } from "@binfleet/coordinator/internal";
import { createLogger } from "@binfleet/daemon";
import { freePort } from "@binfleet/shared/testing";
import { execa } from "execa";
import { type Figure, type FigureGroup, figure, median } from "./measure.js";

const CLIENTS = 64;
const FILES = 200;
const FILE_BYTES = 512 * 1024;
const REQUESTS = 1_000;
/** Rounds, alternating the two servers: this VM's loopback throughput drifts by ±40 % within minutes, so one run each compares noise. */
const ROUNDS = 5;

/** MiB/s fetching REQUESTS package files with CLIENTS concurrent keep-alive connections. */
async function load(base: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let next = 0;
  let bytes = 0;
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      const i = next++;
      // Awaited first, then added: `bytes += await …` reads bytes before the await and loses the other clients' bytes.
      const got = await new Promise<number>((resolve, reject) => {
        get(`${base}/app-misc/pkg/pkg-${i % FILES}-1.gpkg.tar`, { agent }, (res) => {
          let n = 0;
          res.on("data", (c: Buffer) => (n += c.length));
          res.on("end", () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`))));
        }).on("error", reject);
      });
      bytes += got;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const s = (performance.now() - start) / 1000;
  agent.destroy();
  return bytes / 1024 / 1024 / s;
}

/** The binhost server in its own process, as nginx is (`node binhost-serve.js --serve DIR PORT`). */
async function serveChild(pkgdir: string, port: number): Promise<BinhostServer> {
  return BinhostServer.start({ host: "127.0.0.1", port, platforms: [{ name: "bench", pkgdir }], log: createLogger({ name: "bench", level: "error", destination: new PassThrough() }) });
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => get(url, (res) => r(res.statusCode !== undefined && res.resume() !== null)).on("error", () => r(false)));
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

export const binhostServe: FigureGroup = { ids: ["binhost.serve"], figures: binhostServeFigures };

async function binhostServeFigures(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-bench-serve-"));
  // nginx's workers run as an unprivileged user: they must be able to read the files.
  await chmod(dir, 0o755);
  const pkgdir = join(dir, "pkgdir");
  await mkdir(join(pkgdir, "app-misc/pkg"), { recursive: true });
  await writeFile(join(pkgdir, "Packages"), "PACKAGES: 0\n\n");
  const body = Buffer.alloc(FILE_BYTES, 0x5a);
  for (let i = 0; i < FILES; i++) await writeFile(join(pkgdir, `app-misc/pkg/pkg-${i}-1.gpkg.tar`), body);
  const stops: (() => void)[] = [];
  try {
    const ours = await freePort();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve", pkgdir, String(ours)], { stdio: "ignore" });
    stops.push(() => child.kill());
    await waitForHttp(`http://127.0.0.1:${ours}/binhost/bench/Packages`);

    let nginxBase: string | null = null;
    let note = `${CLIENTS} keep-alive clients, ${REQUESTS} GETs of ${FILE_BYTES / 1024} KiB files, median of ${ROUNDS} rounds alternating with the baseline: nginx (1 worker per core, sendfile) serving the same files in the same run`;
    const which = await execa("sh", ["-c", "command -v nginx"], { reject: false });
    if (which.exitCode === 0) {
      const port = await freePort();
      const conf = join(dir, "nginx.conf");
      await writeFile(
        conf,
        `daemon off;\nworker_processes auto;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  sendfile on;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  server {\n    listen 127.0.0.1:${port};\n    location /binhost/bench/ { alias ${pkgdir}/; }\n  }\n}\n`,
      );
      const ng = spawn(which.stdout.trim(), ["-c", conf, "-p", dir], { stdio: "ignore" });
      stops.push(() => ng.kill("SIGQUIT"));
      await waitForHttp(`http://127.0.0.1:${port}/binhost/bench/Packages`);
      nginxBase = `http://127.0.0.1:${port}/binhost/bench`;
    } else {
      note += " (nginx is not installed: apt-get install nginx for the baseline)";
    }
    const ourRuns: number[] = [];
    const nginxRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ourRuns.push(await load(`http://127.0.0.1:${ours}/binhost/bench`));
      if (nginxBase !== null) nginxRuns.push(await load(nginxBase));
    }
    const binfleet = median(ourRuns);
    const nginx = nginxBase === null ? null : median(nginxRuns);
    const spread = (xs: number[]): string => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} MiB/s (${xs.map((x) => Math.round(x)).join(", ")})`;
    // Each round's own ratio too: the two servers of a round ran under the same load.
    const ratios = nginxRuns.length === 0 ? "" : `; per-round ratios ${ourRuns.map((x, i) => (x / nginxRuns[i]!).toFixed(2)).join(", ")}, nginx ${spread(nginxRuns)}`;
    return [figure("binhost.serve", binfleet, "MiB/s", nginx, `${note}; binfleet ${spread(ourRuns)}${ratios}; goal ratio >= 0.8`)];
  } finally {
    for (const stop of stops.reverse()) stop();
    await sleep(200);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve") {
  const server = await serveChild(process.argv[3]!, Number(process.argv[4]));
  process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
}
