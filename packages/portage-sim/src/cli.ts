import { PortageFormatError } from "@binfleet/shared";
import { runEmerge } from "./emerge.js";
import { SimError } from "./errors.js";
import { runEbuild } from "./ebuild.js";
import { runFleetCommand } from "./fleet-command.js";
import { type Output, streamOutput } from "./output.js";
import { runPortageq } from "./portageq.js";

export type ToolName = "emerge" | "ebuild" | "portageq";

const TOOLS: Record<ToolName, (argv: readonly string[], env: NodeJS.ProcessEnv, out: Output) => Promise<number>> = {
  emerge: runEmerge,
  ebuild: runEbuild,
  portageq: runPortageq,
};

/** Runs one simulated Portage tool and maps failures to Portage-style stderr and exit codes. */
export async function runTool(name: ToolName, argv: readonly string[], env: NodeJS.ProcessEnv = process.env, out: Output = streamOutput(process.stdout, process.stderr)): Promise<number> {
  try {
    return await TOOLS[name](argv, env, out);
  } catch (err) {
    if (err instanceof SimError) {
      out.err(err.stderrText ?? `${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof PortageFormatError) {
      out.err(`!!! ${err.message}\n`);
      return 1;
    }
    out.err(`!!! portage-sim internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

/** `binfleet-sim fleet …`, or `binfleet-sim emerge|ebuild|portageq …`. */
export async function runSim(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "emerge" || cmd === "ebuild" || cmd === "portageq") return runTool(cmd, rest);
  return runFleetCommand(argv, streamOutput(process.stdout, process.stderr));
}
