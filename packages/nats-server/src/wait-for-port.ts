import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once something accepts TCP connections on host:port; throws after the deadline.
 * For daemons that say nothing when they listen (nats-server with a fixed port, rsync --daemon).
 */
export async function waitForPort(host: string, port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nothing accepted connections on ${host}:${port}`);
}
