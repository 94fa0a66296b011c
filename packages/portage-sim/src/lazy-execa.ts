import type { execa as Execa } from "execa";

/**
 * execa, loaded on first use: most simulated Portage calls never start another program, and
 * loading execa up front would cost every one of them start-up time.
 */
export async function lazyExeca(): Promise<typeof Execa> {
  return (await import("execa")).execa;
}
