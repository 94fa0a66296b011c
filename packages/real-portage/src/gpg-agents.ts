import { readFile, readdir } from "node:fs/promises";

/**
 * Stops the gpg-agents whose environment holds `variable=value`; returns how many were signalled.
 *
 * A gpg-agent outlives the gpg that started it, in that gpg's mount namespace (a machine's, or a
 * build root assembled in the coordinator's): its socket may sit under a /run or an overlay this
 * process cannot reach, so `gpgconf --kill` from here finds no agent. The marker it inherited
 * from the command that started it names it instead.
 */
export async function stopMarkedGpgAgents(variable: string, value: string): Promise<number> {
  const marker = `${variable}=${value}`;
  let stopped = 0;
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    // Either file may vanish with its process meanwhile: that agent is gone anyway.
    if ((await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() !== "gpg-agent") continue;
    const environ = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
    if (!environ.split("\0").includes(marker)) continue;
    try {
      process.kill(Number(pid), "SIGTERM");
      stopped++;
    } catch {
      // Exited between the read and the signal.
    }
  }
  return stopped;
}
