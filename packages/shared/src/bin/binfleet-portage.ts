// binfleet-portage: the Portage format library as a command, for scripts and conformance checks.
// Output is JSON on stdout; bad input or usage is one `error: …` line on stderr and exit 2.
import { open, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import type { Readable, Writable } from "node:stream";
import * as z from "zod";
import { type Atom, parseAtom } from "../atom.js";
import { clip } from "../clip.js";
import { GlsaEvaluationError, GlsaFormatError, PortageFormatError } from "../errors.js";
import { parseEmergePretend } from "../emerge-pretend.js";
import { type GlsaAdvisory, GLSA_MAX_BYTES, parseGlsa } from "../glsa/glsa.js";
import { evaluateGlsa } from "../glsa/glsa-evaluate.js";
import { PackageSet } from "../glsa/package-set.js";
import { type Stanza, formatPackagesIndex, parsePackagesIndex } from "../packages-index.js";
import { type InstalledPackage, readVdb, readVdbEntry } from "../vdb.js";
import { vercmp } from "../version.js";
import { parseWorld } from "../world.js";

const USAGE = `usage: binfleet-portage <command> [args]
  vercmp A B | vercmp --batch          compare versions (-1, 0, 1); batch reads "A<TAB>B" lines
  atom STRING | atom --batch           parse atoms to JSON; batch reads one atom per line
  emerge-pretend [FILE|-]              parse emerge --pretend output
  packages-index [--write] [FILE|-]    parse (or parse and rewrite) a $PKGDIR/Packages index
  vdb DIR                              list installed packages of a vdb root or one vdb entry
  world [FILE|-]                       parse a world file
  glsa FILE [--batch]                  parse a GLSA; batch reads one system per line as JSON
                                       {"installed":[{"cpv","slot"}],"available":[{"cpv","slot"}],"arch"}
                                       and prints {"vulnerable","minUpgrade"} for each`;

class UsageError extends Error {}

interface Io {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export async function main(argv: readonly string[], stdin: Readable, stdout: Writable, stderr: Writable): Promise<number> {
  const io: Io = { stdin, stdout, stderr };
  try {
    await run(argv, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`error: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof PortageFormatError || err instanceof GlsaFormatError) {
      stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" || e.code === "EACCES" || e.code === "EISDIR" || e.code === "ENOTDIR") {
      stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    stderr.write(`error: internal: ${clip(String(e.message ?? err))}\n`);
    return 1;
  }
}

async function run(argv: readonly string[], io: Io): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case "vercmp":
      return cmdVercmp(args, io);
    case "atom":
      return cmdAtom(args, io);
    case "emerge-pretend":
      return printJson(io, parseEmergePretend(await readInput(one(args, "emerge-pretend"), io)));
    case "packages-index":
      return cmdPackagesIndex(args, io);
    case "vdb":
      return cmdVdb(args, io);
    case "world":
      return printJson(io, worldJson(await readInput(one(args, "world"), io)));
    case "glsa":
      return cmdGlsa(args, io);
    case undefined:
    case "-h":
    case "--help":
      if (command === undefined) throw new UsageError("no command given");
      io.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command '${clip(command, 40)}'`);
  }
}

function one(args: readonly string[], cmd: string): string {
  if (args.length > 1) throw new UsageError(`${cmd} takes at most one FILE`);
  return args[0] ?? "-";
}

/** Reads FILE or stdin; gzip input (Packages.gz, as binhosts serve it) is unpacked transparently. */
async function readInput(file: string, io: Io): Promise<string> {
  let data: Buffer;
  if (file !== "-") {
    data = await readFile(file);
  } else {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
    data = Buffer.concat(chunks);
  }
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      throw new PortageFormatError(`${file === "-" ? "stdin" : file}: corrupt gzip data: ${(err as Error).message}`, "gzip", "", undefined, { cause: err });
    }
  }
  return data.toString("utf8");
}

function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

async function* stdinLines(io: Io): AsyncGenerator<string> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

async function cmdVercmp(args: readonly string[], io: Io): Promise<void> {
  if (args.length === 1 && args[0] === "--batch") {
    for await (const line of stdinLines(io)) {
      const [a, b, extra] = line.split("\t");
      if (a === undefined || b === undefined || extra !== undefined) {
        io.stdout.write(`error: expected 'A<TAB>B', got '${clip(line, 80)}'\n`);
        continue;
      }
      try {
        io.stdout.write(`${vercmp(a, b)}\n`);
      } catch (err) {
        if (!(err instanceof PortageFormatError)) throw err;
        io.stdout.write(`error: ${err.message}\n`);
      }
    }
    return;
  }
  if (args.length !== 2) throw new UsageError("vercmp takes two versions, or --batch");
  io.stdout.write(`${vercmp(args[0]!, args[1]!)}\n`);
}

function atomJson(atom: Atom): Record<string, unknown> {
  return {
    ok: true,
    atom: atom.raw,
    category: atom.category,
    package: atom.package,
    operator: atom.operator,
    version: atom.version,
    blocker: atom.blocker,
    slot: atom.slot,
    subslot: atom.subslot,
    slotOperator: atom.slotOperator,
    repo: atom.repo,
    useDeps: atom.useDeps.map((u) => u.raw),
    buildId: atom.buildId,
  };
}

function atomResult(text: string): { json: Record<string, unknown>; error: string | null } {
  try {
    return { json: atomJson(parseAtom(text)), error: null };
  } catch (err) {
    if (!(err instanceof PortageFormatError)) throw err;
    return { json: { ok: false, atom: text, error: err.message }, error: err.message };
  }
}

async function cmdAtom(args: readonly string[], io: Io): Promise<void> {
  if (args.length === 1 && args[0] === "--batch") {
    for await (const line of stdinLines(io)) printJson(io, atomResult(line).json);
    return;
  }
  if (args.length !== 1) throw new UsageError("atom takes one atom, or --batch");
  const { json, error } = atomResult(args[0]!);
  printJson(io, json);
  if (error !== null) throw new PortageFormatError(error, "atom", args[0]!);
}

function stanzaObject(stanza: Stanza): Record<string, string> {
  return Object.fromEntries(stanza);
}

async function cmdPackagesIndex(args: readonly string[], io: Io): Promise<void> {
  const write = args.includes("--write");
  const rest = args.filter((a) => a !== "--write");
  const index = parsePackagesIndex(await readInput(one(rest, "packages-index"), io));
  if (write) {
    io.stdout.write(formatPackagesIndex(index));
    return;
  }
  printJson(io, { header: stanzaObject(index.header), packages: index.packages.map(stanzaObject) });
}

function installedJson(p: InstalledPackage): Record<string, unknown> {
  return {
    cpv: p.cpv.cpv,
    category: p.cpv.category,
    package: p.cpv.package,
    version: p.cpv.version.raw,
    slot: p.slot,
    subslot: p.subslot,
    repo: p.repo,
    use: p.use,
    iuse: p.iuse,
    eapi: p.eapi,
    keywords: p.keywords,
    buildTime: p.buildTime,
    counter: p.counter,
    buildId: p.buildId,
    binpkgMd5: p.binpkgMd5,
    fromBinary: p.binpkgMd5 !== null,
  };
}

async function cmdVdb(args: readonly string[], io: Io): Promise<void> {
  if (args.length !== 1) throw new UsageError("vdb takes one DIR (a vdb root like /var/db/pkg, or one <category>/<pf> entry)");
  const dir = args[0]!.replace(/\/+$/, "") || "/";
  if (!(await stat(dir)).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  // An entry directory holds metadata files; a root holds category directories.
  const isEntry = await stat(join(dir, "SLOT")).then(() => true, () => stat(join(dir, "CONTENTS")).then(() => true, () => false));
  const packages = isEntry ? [await readVdbEntry(dir, basename(dirname(dir)), basename(dir))] : await readVdb(dir);
  printJson(io, { packages: packages.map(installedJson) });
}

function worldJson(text: string): Record<string, unknown> {
  const w = parseWorld(text);
  return { atoms: w.atoms.map((a) => a.raw), invalid: w.invalid };
}

/** Reads at most `max + 1` bytes, so a huge file costs no more than a refusal. */
async function readBounded(file: string, max: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

// `slot` defaults to "0", as for an atom matched against a package without SLOT metadata.
const slotted = z.array(z.object({ cpv: z.string(), slot: z.string().default("0") }));
const glsaSystemLine = z.object({ installed: slotted, available: slotted, arch: z.string() });

function glsaVerdictLine(advisory: GlsaAdvisory, line: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: `not JSON: '${clip(line, 80)}'` };
  }
  const parsed = glsaSystemLine.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `${issue.path.join(".") || "line"}: ${issue.message}` };
  }
  try {
    const { arch, installed, available } = parsed.data;
    const verdict = evaluateGlsa(advisory, { arch, installed: PackageSet.of(installed), available: PackageSet.of(available) });
    return { vulnerable: verdict.vulnerable, minUpgrade: verdict.minUpgrade };
  } catch (err) {
    if (!(err instanceof PortageFormatError || err instanceof GlsaEvaluationError)) throw err;
    return { ok: false, error: err.message };
  }
}

async function cmdGlsa(args: readonly string[], io: Io): Promise<void> {
  const batch = args.includes("--batch");
  const files = args.filter((a) => a !== "--batch");
  if (files.length !== 1) throw new UsageError("glsa takes one FILE (and --batch to evaluate systems read from stdin)");
  const file = files[0]!;
  let advisory: GlsaAdvisory;
  try {
    advisory = parseGlsa(await readBounded(file, GLSA_MAX_BYTES));
  } catch (err) {
    if (!(err instanceof GlsaFormatError)) throw err;
    throw new GlsaFormatError(`${file}: ${err.message}`, err.reason, err.line, err.element, { cause: err });
  }
  if (!batch) return printJson(io, advisory);
  for await (const line of stdinLines(io)) printJson(io, glsaVerdictLine(advisory, line));
}
