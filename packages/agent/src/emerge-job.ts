import type { Logger } from "@binfleet/shared";
import { parseEmergeStep } from "./emerge-progress.js";
import type { PortageRunner } from "./portage-runner.js";
import type { ProgressPublisher } from "./progress-publisher.js";

/**
 * Runs one Portage command for a coordinator command and reports it as it goes: `started` with
 * its argv, output lines in batches, each `>>> Emerging (n of m)` as a package event, and the
 * outcome with how many packages came from binaries and how many were compiled.
 */
export async function runEmergeJob(commandId: string, argv: readonly string[], runner: PortageRunner, progress: ProgressPublisher, log: Logger): Promise<boolean> {
  await progress.send(commandId, { case: "started", value: { argv: [...argv] } });
  log.info({ commandId, argv }, "running portage");
  const tail: string[] = [];
  let pending: string[] = [];
  let binaries = 0;
  let compiled = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    await progress.send(commandId, { case: "log", value: { lines } });
  };
  const timer = setInterval(() => void flush(), 1000);
  let result;
  try {
    result = await runner.run(argv, (line) => {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      pending.push(line);
      const step = parseEmergeStep(line);
      if (step !== null) {
        if (step.binary) binaries++;
        else compiled++;
        void progress.send(commandId, { case: "package", value: step });
      }
    });
  } finally {
    clearInterval(timer);
  }
  await flush();
  const success = result.exitCode === 0;
  await progress.send(commandId, { case: "finished", value: { exitCode: result.exitCode, success, installedBinary: binaries, compiledLocally: compiled, logTail: tail.slice(-20), error: success ? "" : result.stderr.slice(-2000) } });
  if (success) log.info({ commandId, exitCode: result.exitCode, binaries, compiled }, "portage finished");
  else log.warn({ commandId, exitCode: result.exitCode, binaries, compiled, stderr: result.stderr.slice(-1500), tail: tail.slice(-8) }, "portage failed");
  return success;
}
