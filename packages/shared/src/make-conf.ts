import { clip } from "./clip.js";
import { PortageFormatError } from "./errors.js";

/**
 * Parses make.conf / make.defaults the way Portage's getconfig does for the
 * common cases: `KEY=value`, `KEY="multi-line value"`, `KEY='literal'`,
 * `export KEY=...`, `#` comments, and `${VAR}`/`$VAR` expansion (from earlier
 * keys, then `inherited`). `source` lines are reported, not followed: the
 * caller decides which files it may read.
 */
export function parseMakeConf(
  text: string,
  inherited: Readonly<Record<string, string>> = {},
): { readonly vars: Record<string, string>; readonly sources: string[] } {
  const vars: Record<string, string> = {};
  const sources: string[] = [];
  const lookup = (name: string): string => vars[name] ?? inherited[name] ?? "";
  const expand = (s: string): string =>
    s.replace(/\\\n/g, "").replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, b: string | undefined) => lookup(a ?? b ?? ""));
  let i = 0;
  let line = 1;
  const fail = (why: string): never => {
    throw new PortageFormatError(`make.conf line ${line}: ${why}`, "make.conf", clip(text.slice(i, i + 80)), line);
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\n") {
      line++;
      i++;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const src = /^(?:source|\.)[ \t]+("[^"\n]*"|'[^'\n]*'|[^\s#]+)/.exec(text.slice(i, i + 4096));
    if (src !== null) {
      sources.push(expand(src[1]!.replace(/^["']|["']$/g, "")));
      i += src[0].length;
      continue;
    }
    const m = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(text.slice(i, i + 256));
    if (m === null) fail(`expected KEY=value`);
    const key = m![1]!;
    i += m![0].length;
    let value = "";
    // A value is a run of quoted and unquoted pieces up to unquoted whitespace.
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === '"') {
        const end = findClosing(text, i + 1, '"');
        if (end < 0) fail(`unterminated " in ${key}`);
        const raw = text.slice(i + 1, end);
        line += raw.split("\n").length - 1;
        value += expand(raw.replace(/\\(["\\$`])/g, "$1"));
        i = end + 1;
      } else if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) fail(`unterminated ' in ${key}`);
        const raw = text.slice(i + 1, end);
        line += raw.split("\n").length - 1;
        value += raw;
        i = end + 1;
      } else if (c === "#" && value === "") {
        break;
      } else {
        let j = i;
        while (j < text.length && !/[\s"']/.test(text[j]!)) j++;
        value += expand(text.slice(i, j));
        i = j;
      }
    }
    vars[key] = value;
  }
  return { vars, sources };
}

function findClosing(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}
