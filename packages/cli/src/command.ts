import type { FleetControlClient } from "@binfleet/api";

/** An option of a command: what node:util parseArgs takes, plus what --help, man pages and completion show. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean | string[];
  /** The value's name in usage lines (`--platform P`). */
  readonly value?: string;
  readonly help: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

/** Where a command writes: stdout and stderr, and whether stdout is a terminal (progress redraws, colour). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly tty: boolean;
  /** Colour and cursor movement allowed (a terminal, and NO_COLOR unset). */
  readonly color: boolean;
}

/** What a command's `run` gets: its parsed arguments, the output, and the API (connected on first use). */
export interface CommandContext {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly json: boolean;
  readonly io: Io;
  api(): FleetControlClient;
}

/**
 * One `binfleet` command. Its usage, help, man page section and completion all come from this
 * one description, so they cannot disagree with what the command parses.
 */
export interface Command {
  readonly name: string;
  /** Usage lines without the leading `binfleet ` (e.g. `rollout start [--platform P] …`). */
  readonly synopsis: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs for `binfleet COMMAND --help` and the man page. */
  readonly description: string;
  /** First positional words the command takes as subcommands (completion). */
  readonly subcommands?: readonly string[];
  readonly options: Options;
  run(ctx: CommandContext): Promise<number>;
}

/** A command-line mistake: exit 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The value of a string option (parseArgs gives string | boolean | string[]). */
export function stringOption(ctx: CommandContext, name: string): string {
  const v = ctx.values[name];
  return typeof v === "string" ? v : "";
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/** A number option, refused as a usage error when it is not a number ≥ `min`. */
export function numberOption(ctx: CommandContext, name: string, min = 0): number {
  const text = stringOption(ctx, name).replace(/%$/, "");
  const n = Number(text);
  if (text === "" || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} takes a number${min > 0 ? ` of at least ${min}` : ""}`);
  return n;
}

export const platformOption: Options = { platform: { type: "string", default: "", value: "P", help: "only this platform (name or key)" } };
