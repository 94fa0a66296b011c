import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { BuildState, type BuildSummary, type Rollout } from "@binfleet/shared/wire";
import type { CommandContext } from "./command.js";

/** Prints a reply: in the protobuf JSON mapping with every field (`--json`), or as text for people. */
export function emit<D extends DescMessage>(ctx: CommandContext, schema: D, msg: MessageShape<D>, human: () => string): void {
  ctx.io.out(ctx.json ? `${toJsonString(schema, msg, { alwaysEmitImplicit: true })}\n` : human());
}

export const stateName = (s: BuildState): string => BuildState[s].toLowerCase().replace(/_/g, "-");

export const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));

export const mib = (b: bigint | number): string => `${(Number(b) / 1024 / 1024).toFixed(1)} MiB`;

/** How long ago a moment was, for people ("never" for 0). */
export function ago(ms: bigint): string {
  if (ms === 0n) return "never";
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join("  ")).join("\n")}\n`;
}

export function buildLine(b: BuildSummary): string {
  const r = b.result;
  const took = r !== undefined && r.finishedAtUnixMs > 0n ? ` ${((Number(r.finishedAtUnixMs) - Number(r.startedAtUnixMs)) / 1000).toFixed(1)}s` : "";
  return `${(b.job?.id ?? "").slice(0, 12)}  [${pad(stateName(r?.state ?? BuildState.UNSPECIFIED), 16)}] ${b.job?.cpv} USE="${b.job?.use.join(" ")}"${r?.builder ? ` on ${r.builder}` : ""}${took}${r?.error ? ` — ${r.error}` : ""}\n`;
}

export function rolloutText(r: Rollout): string {
  const count = (s: string): number => r.nodes.filter((n) => n.state === s).length;
  const head = `>>> rollout ${r.id} (${r.options?.purpose || r.options?.platformKey || "all platforms"}): ${r.state}${r.reason === "" ? "" : ` — ${r.reason}`}\n`;
  const summary = `    ${count("succeeded")} succeeded, ${count("updating")} updating, ${count("waiting")} waiting, ${count("offline")} offline, ${count("failed")} failed, ${count("current")} already current\n`;
  // A security fix's rollout updates named packages: which ones, per node.
  const atoms = r.nodes.some((n) => n.atoms.length > 0);
  const rows = [["NODE", "STATE", "CANARY", "BINARIES", "COMPILES", "DOWNLOAD", ...(atoms ? ["PACKAGES"] : []), "ERROR"]];
  for (const n of r.nodes) rows.push([n.nodeId, n.state, n.canary ? "yes" : "", String(n.binaryCount), String(n.compileCount), mib(n.downloadBytes), ...(atoms ? [n.atoms.join(" ")] : []), n.error.split("\n")[0]!.slice(0, 60)]);
  return head + summary + table(rows);
}

/**
 * Shows a changing text: on a terminal (colour allowed) it is redrawn in place; elsewhere each
 * change is a line of its own, or only the first `plainLines` lines of it.
 */
export class LiveView {
  private shown = 0;

  constructor(
    private readonly ctx: CommandContext,
    private readonly plainLines: number,
  ) {}

  show(text: string): void {
    if (this.ctx.io.color) {
      this.ctx.io.out(`${this.shown > 0 ? `\x1b[${this.shown}A\x1b[J` : ""}${text}`);
      this.shown = text.split("\n").length - 1;
    } else {
      this.ctx.io.out(`${text.split("\n").slice(0, this.plainLines).join("\n")}\n`);
    }
  }
}

/**
 * A spinner line on stderr while a long call runs (only on a terminal with colour allowed): `sync`
 * and key rotations can take minutes, and a silent terminal looks hung.
 */
export async function withProgress<T>(ctx: CommandContext, what: string, work: Promise<T>): Promise<T> {
  if (!ctx.io.color || ctx.json) return work;
  const frames = ["|", "/", "-", "\\"];
  const started = Date.now();
  let i = 0;
  const timer = setInterval(() => ctx.io.err(`\r${frames[i++ % frames.length]} ${what} (${Math.round((Date.now() - started) / 1000)}s)`), 250);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    ctx.io.err("\r\x1b[K");
  }
}
