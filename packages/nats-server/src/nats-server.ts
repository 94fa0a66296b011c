import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { waitForPort } from "./wait-for-port.js";

export interface NatsServerOptions {
  /** Where config and JetStream store live; a fresh temp directory (removed by dispose) when absent. */
  readonly dir?: string;
  /** Extra configuration appended to the generated file (accounts, authorization, …). */
  readonly config?: string;
  /** Fixed client port; by default the server picks one (-1) and reports it. */
  readonly port?: number;
  /** PEM certificate and key: clients must speak TLS. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A real nats-server process with JetStream on loopback: the coordinator's embedded broker, or a test's. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL), keeping its JetStream store. */
  stop(): Promise<void>;
  /** Kills the process outright (SIGKILL, a crashed host), keeping its store. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Rewrites the extra configuration and has the running server reload it (SIGHUP): new users, permissions. */
  reload(config: string): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
  /** What the server printed, for failure messages. */
  log(): string;
  /**
   * Calls `listener` when the process ends without stop, kill or dispose (it crashed, or something
   * else killed it): a process that embeds the server cannot work on without it.
   */
  onUnexpectedExit(listener: (why: string) => void): void;
}


/** Starts `nats-server -js` on 127.0.0.1 with its store in a fresh temp directory. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "binfleet-nats-")));
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "nats.conf");
  let output = "";
  const spawn = () => execa("nats-server", ["-c", conf], { reject: false, all: true });
  let child: ReturnType<typeof spawn> | null = null;
  let port = options.port ?? -1;
  let extra = options.config ?? "";
  const exitListeners: ((why: string) => void)[] = [];
  const configText = (): string =>
    [
      "host: 127.0.0.1",
      `port: ${port}`,
      `ports_file_dir: "${dir}"`,
      `jetstream { store_dir: "${join(dir, "js")}" }`,
      "max_payload: 8MB",
      ...(options.tls === undefined ? [] : [`tls { cert_file: ${JSON.stringify(options.tls.cert)}, key_file: ${JSON.stringify(options.tls.key)} }`]),
      extra,
    ].join("\n");

  const launch = async (): Promise<void> => {
    // The file may hold credentials: readable by the owner only.
    await writeFile(conf, configText(), { mode: 0o600 });
    const launched = spawn();
    child = launched;
    launched.all?.on("data", (d: Buffer) => (output += d.toString()));
    void launched.then((r) => {
      // Stopped on purpose: stop() cleared `child` first.
      if (child !== launched) return;
      child = null;
      const why = `nats-server exited (${r.signal ?? `code ${r.exitCode}`}): ${output.trim().split("\n").slice(-3).join(" | ")}`;
      for (const l of exitListeners) l(why);
    });
    const deadline = Date.now() + 15_000;
    if (port === -1) {
      // Until it reports its port, or exits (a bad configuration ends it at once).
      while (Date.now() < deadline && child === launched) {
        // The file is named after the process: a kept directory may hold stale ones.
        const file = (await readdir(dir)).find((f) => f === `nats-server_${child?.pid}.ports`);
        if (file !== undefined) {
          const ports = JSON.parse(await readFile(join(dir, file), "utf8")) as { nats: string[] };
          port = Number(new URL(ports.nats[0]!).port);
          break;
        }
        await sleep(25);
      }
      if (port === -1) throw new Error(`nats-server did not report its port:\n${output}`);
    }
    await waitForPort("127.0.0.1", port, deadline).catch((err: Error) => {
      throw new Error(`nats-server: ${err.message}:\n${output}`);
    });
  };

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> => {
    const c = child;
    child = null;
    if (c === null) return;
    c.kill(signal);
    const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
    await c;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (err) {
    // Nobody gets a handle to dispose of: what was started and made here goes now.
    await stop("SIGKILL");
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stop: () => stop(),
    kill: () => stop("SIGKILL"),
    restart: launch,
    reload: async (config: string) => {
      extra = config;
      await writeFile(conf, configText(), { mode: 0o600 });
      child?.kill("SIGHUP");
      // nats-server applies a reload within milliseconds; give it a moment before callers rely on it.
      await sleep(200);
    },
    dispose: async () => {
      await stop();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
    log: () => output,
    onUnexpectedExit: (listener) => void exitListeners.push(listener),
  };
}

export interface NatsClusterOptions {
  /** Each server's store and config go in `<dir>/n1`, `<dir>/n2`, … */
  readonly dir: string;
  /** Client port of each server (fixed, so a restarted server is found where it was). */
  readonly clientPorts: readonly number[];
  /** Route port of each server, in the same order. */
  readonly routePorts: readonly number[];
  /** Extra configuration for every server (authorization, …). */
  readonly config?: string;
}

/**
 * A JetStream cluster of real nats-server processes on loopback, each routed to all the others.
 * Streams on it can have as many replicas as it has servers. JetStream answers only once the
 * servers have elected a meta leader, a moment after they listen.
 */
export function startNatsCluster(o: NatsClusterOptions): Promise<NatsServer[]> {
  const routes = o.routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(", ");
  return Promise.all(
    o.clientPorts.map((port, i) =>
      startNatsServer({
        dir: join(o.dir, `n${i + 1}`),
        port,
        config: [`server_name: n${i + 1}`, `cluster { name: binfleet, host: 127.0.0.1, port: ${o.routePorts[i]}, routes: [${routes}] }`, o.config ?? ""].join("\n"),
      }),
    ),
  );
}
