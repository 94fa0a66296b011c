/**
 * The dashboard's one way to make markup: `html` escapes every interpolated value unless it is
 * markup this module made. Node ids, package names, USE flags, log lines and error messages are all
 * interpolated as text; nothing else in the dashboard builds HTML from strings.
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as HTML text or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Unexported: no module but this one can wrap a string as markup. */
const MADE_HERE = Symbol("made by html");

/** Markup made by `html` (only it constructs one): interpolated as is. */
export class SafeHtml {
  constructor(
    key: typeof MADE_HERE,
    readonly text: string,
  ) {
    if (key !== MADE_HERE) throw new TypeError("SafeHtml is made by html`…` only");
  }

  toString(): string {
    return this.text;
  }
}

export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.text;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join("");
  if (v === null || v === undefined || v === false) return "";
  return escapeHtml(String(v));
}

/** A template whose values are text (escaped), markup from another `html` call, or lists of either. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(MADE_HERE, out);
}
