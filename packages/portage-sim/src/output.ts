import type { Writable } from "node:stream";

/** Where a simulated tool writes: Portage's stdout and stderr, kept apart as real emerge keeps them. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export function streamOutput(stdout: Writable, stderr: Writable): Output {
  return { out: (t) => void stdout.write(t), err: (t) => void stderr.write(t) };
}
