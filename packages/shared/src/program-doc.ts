/**
 * What a program says about itself, once: its --help text and its man page are both rendered
 * from this, so they cannot disagree.
 */
export interface ProgramDoc {
  readonly name: string;
  /** Manual section: 1 for user commands, 8 for daemons an admin runs. */
  readonly section: 1 | 8;
  /** One line: what it is. */
  readonly summary: string;
  /** Usage lines without the program's name. */
  readonly synopsis: readonly string[];
  /** Paragraphs (blank-line separated). */
  readonly description: string;
  readonly commands?: readonly DocCommand[];
  readonly options?: readonly DocOption[];
  /** Paragraphs for ENVIRONMENT, FILES, EXIT STATUS, SEE ALSO. */
  readonly environment?: string;
  readonly files?: readonly { readonly path: string; readonly what: string }[];
  readonly exitStatus?: string;
  readonly seeAlso?: readonly string[];
}

export interface DocCommand {
  readonly name: string;
  readonly synopsis: readonly string[];
  readonly summary: string;
  readonly description: string;
  readonly options: readonly DocOption[];
}

export interface DocOption {
  /** As written on the command line: `--platform P`, `-f, --follow`. */
  readonly label: string;
  readonly help: string;
}

function optionTable(options: readonly DocOption[]): string {
  const width = Math.max(0, ...options.map((o) => o.label.length));
  return options.map((o) => `  ${o.label.padEnd(width)}  ${o.help}`).join("\n");
}

/** The --help text: usage, description, commands and options. */
export function renderUsage(doc: ProgramDoc): string {
  const parts = [`usage: ${doc.synopsis.map((s, i) => `${i === 0 ? "" : "       "}${doc.name} ${s}`).join("\n")}`, "", doc.description];
  if (doc.commands !== undefined && doc.commands.length > 0) {
    const width = Math.max(...doc.commands.map((c) => c.name.length));
    parts.push("", "Commands:", ...doc.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`));
  }
  if (doc.options !== undefined && doc.options.length > 0) parts.push("", "Options:", optionTable(doc.options));
  if (doc.environment !== undefined) parts.push("", doc.environment);
  if (doc.exitStatus !== undefined) parts.push(doc.exitStatus);
  return `${parts.join("\n")}\n`;
}

/** Text as troff: backslashes and leading dots or quotes escaped, so no input is taken for a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join("\n");
}

const paragraphs = (text: string): string => text.split(/\n\s*\n/).map((p) => `.PP\n${roff(p.trim())}`).join("\n");

function optionsRoff(options: readonly DocOption[]): string {
  return options.map((o) => `.TP\n.B ${roff(o.label)}\n${roff(o.help)}`).join("\n");
}

/** The man page (troff with the man macros), dated and versioned. */
export function renderMan(doc: ProgramDoc, version: string, date: string): string {
  const title = doc.name.toUpperCase();
  const out = [
    `.TH ${title} ${doc.section} "${date}" "binfleet ${version}" "${doc.section === 1 ? "User Commands" : "System Administration"}"`,
    ".SH NAME",
    `${roff(doc.name)} \\- ${roff(doc.summary)}`,
    ".SH SYNOPSIS",
    doc.synopsis.map((s) => `.B ${roff(doc.name)}\n${roff(s)}`).join("\n.br\n"),
    ".SH DESCRIPTION",
    paragraphs(doc.description),
  ];
  if (doc.commands !== undefined && doc.commands.length > 0) {
    out.push(".SH COMMANDS");
    for (const c of doc.commands) {
      out.push(`.SS ${roff(c.name)}`, c.synopsis.map((s) => `.B ${roff(doc.name)}\n${roff(s)}`).join("\n.br\n"), paragraphs(c.description));
      if (c.options.length > 0) out.push(optionsRoff(c.options));
    }
  }
  if (doc.options !== undefined && doc.options.length > 0) out.push(".SH OPTIONS", optionsRoff(doc.options));
  if (doc.environment !== undefined) out.push(".SH ENVIRONMENT", paragraphs(doc.environment));
  if (doc.files !== undefined && doc.files.length > 0) out.push(".SH FILES", doc.files.map((f) => `.TP\n.I ${roff(f.path)}\n${roff(f.what)}`).join("\n"));
  if (doc.exitStatus !== undefined) out.push(".SH EXIT STATUS", paragraphs(doc.exitStatus));
  if (doc.seeAlso !== undefined && doc.seeAlso.length > 0) out.push(".SH SEE ALSO", doc.seeAlso.map((s) => roff(s)).join(",\n"));
  return `${out.join("\n")}\n`;
}
