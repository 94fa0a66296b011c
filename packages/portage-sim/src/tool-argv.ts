import { fileURLToPath } from "node:url";
import type { ToolName } from "./cli.js";

/**
 * The node flags portage-sim's tools run with, as their `#!` lines carry them (a test keeps the two
 * alike). V8's lite mode: a simulated Portage call lives 0.1-1 s, and the optimizing compiler's
 * background work barely pays off before it exits (emerge -pvuDN 0.50 -> 0.37 CPU-s). Lite mode has
 * no WebAssembly (so no fetch(): the tools use node:http); saying so keeps V8 from printing a
 * warning into every tool's output.
 */
export const TOOL_NODE_FLAGS: readonly string[] = ["--lite-mode", "--no-expose-wasm"];

/** A tool's executable, `bin/<tool>` of this package. */
export const toolPath = (tool: ToolName): string => fileURLToPath(new URL(`../bin/${tool}`, import.meta.url));

/** argv that runs a tool with the running node, as tests, the demo and benches configure builders and agents. */
export const simToolArgv = (tool: ToolName): string[] => [process.execPath, ...TOOL_NODE_FLAGS, toolPath(tool)];
