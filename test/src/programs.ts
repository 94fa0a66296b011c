// The binfleet programs tests and the demo start as processes. `npm test` and `npm run demo`
// install them as the release does (one bundle each, libexec/binfleet/<name>.mjs) into the
// directory BINFLEET_PROGRAMS names, so they run the code that ships, started by `node` with the
// flags of the bundle's #! line (programArgv), and start quicker (the CLI in 0.2 CPU-seconds instead of
// 0.4, the agent in 0.26 instead of 0.75: hundreds of starts a run). A test run on its own,
// without the variable, starts the workspace's compiled bin scripts.
import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Options, execa } from "execa";

const requireHere = createRequire(import.meta.url);
/** A workspace package's executable (`bin/<name>`), runnable before npm links it. */
export const binOf = (pkg: string, bin: string): string => join(dirname(requireHere.resolve(pkg)), "../bin", bin);

/** What the tests start as processes; the coordinator is run from the workspace (its dashboard files lie beside its modules). */
export type TestProgram = "binfleet" | "binfleet-agent";

const WORKSPACE: Readonly<Record<TestProgram, readonly [string, string]>> = {
  binfleet: ["@binfleet/cli", "binfleet.js"],
  "binfleet-agent": ["@binfleet/agent", "binfleet-agent.js"],
};

/** Every program the tests start as a process. */
export const TEST_PROGRAMS = Object.keys(WORKSPACE) as TestProgram[];

/** The file `node` runs for a program. */
export function programPath(name: TestProgram, env: NodeJS.ProcessEnv = process.env): string {
  const installed = env["BINFLEET_PROGRAMS"]?.trim() ?? "";
  return installed !== "" ? join(installed, "bin", name) : binOf(...WORKSPACE[name]);
}

/**
 * The argv after `node` that starts a program as its `#!` line would (`env -S node --lite-mode …`
 * for the agent's bundle): tests start programs with the running node, not through env.
 */
export function programArgv(name: TestProgram, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = programPath(name, env);
  const head = Buffer.alloc(256);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const shebang = head.toString("utf8").split("\n", 1)[0] ?? "";
  // The two forms a bundle is made with; any other would go unnoticed here and differ from what ships.
  if (/^#!(?:\S*\/)?env node$/.test(shebang)) return [path];
  const flags = /^#!(?:\S*\/)?env -S node((?: --[\w-]+(?:=\S+)?)+)$/.exec(shebang)?.[1];
  if (flags === undefined) throw new Error(`${path}: cannot start it as its #! line would: ${JSON.stringify(shebang)}`);
  return [...flags.trim().split(" "), path];
}

/** Runs a program as its `#!` line would start it (programArgv), with the running node. */
// {} as execa's own default: a call without options is typed as execa's is.
export function runProgram<O extends Options = {}>(name: TestProgram, args: readonly string[], options?: O) {
  return execa(process.execPath, [...programArgv(name), ...args], options ?? ({} as O));
}
