import { PortageFormatError } from "@binfleet/shared/portage";
import { SimError } from "./errors.js";
import { type Output, streamOutput } from "./output.js";

export type ToolName = "emerge" | "ebuild" | "portageq" | "gpkg-sign" | "emaint";

type Tool = (argv: readonly string[], env: NodeJS.ProcessEnv, out: Output) => Promise<number>;

// Each tool is loaded when called: a portageq call should not pay for loading emerge's resolver.
const TOOLS: Record<ToolName, () => Promise<Tool>> = {
  emerge: async () => (await import("./emerge.js")).runEmerge,
  ebuild: async () => (await import("./ebuild.js")).runEbuild,
  portageq: async () => (await import("./portageq.js")).runPortageq,
  "gpkg-sign": async () => (await import("./gpkg-sign.js")).runGpkgSign,
  emaint: async () => (await import("./emaint.js")).runEmaint,
};

/** Runs one simulated Portage tool and maps failures to Portage-style stderr and exit codes. */
export async function runTool(name: ToolName, argv: readonly string[], env: NodeJS.ProcessEnv = process.env, out: Output = streamOutput(process.stdout, process.stderr)): Promise<number> {
  try {
    return await (await TOOLS[name]())(argv, env, out);
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

/** `binfleet-sim fleet …`, or `binfleet-sim emerge|ebuild|portageq|gpkg-sign|emaint …`. */
export async function runSim(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && Object.hasOwn(TOOLS, cmd)) return runTool(cmd as ToolName, rest);
  return (await import("./fleet-command.js")).runFleetCommand(argv, streamOutput(process.stdout, process.stderr));
}
