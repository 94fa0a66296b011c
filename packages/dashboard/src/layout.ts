import { type HtmlValue, type SafeHtml, html } from "./html.js";
import type { Session } from "./sessions.js";

/** Every page under this prefix; the cookie's Path too. */
export const UI = "/ui";

const NAV: readonly (readonly [string, string])[] = [
  [`${UI}/`, "Fleet"],
  [`${UI}/builds`, "Builds"],
  [`${UI}/rollouts`, "Rollouts"],
  [`${UI}/drift`, "USE drift"],
  [`${UI}/advisories`, "Advisories"],
];

/**
 * A whole page. No inline script or style anywhere (the CSP forbids both): behaviour is /ui/app.js,
 * looks are /ui/style.css; the CSRF token is in a meta element for the script's requests.
 */
export function page(title: string, session: Session | null, body: SafeHtml): string {
  const nav = session === null ? null : html`<nav><span class="brand">binfleet</span>${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}
<span class="who">${session.caller.name} (${session.caller.role})</span><span id="live" class="live">static</span>
<form method="post" action="${UI}/logout">${csrfField(session)}<button type="submit">Log out</button></form></nav>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · binfleet</title><link rel="stylesheet" href="${UI}/style.css">
${session === null ? null : html`<meta name="csrf" content="${session.csrf}"><script type="module" src="${UI}/app.js"></script>`}
</head><body>${nav}<main><h1>${title}</h1><p id="flash" class="flash" role="status"></p>${body}</main></body></html>
`.text;
}

export function csrfField(session: Session): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

/**
 * A POST form for one action. `data-async` lets the script send it without leaving the page (the
 * reply is JSON); without the script it is a plain form that comes back to `back`.
 */
export function actionForm(session: Session, action: string, fields: Record<string, string>, label: string, back: string, cls = ""): SafeHtml {
  return html`<form method="post" action="${UI}/actions/${action}" data-async class="inline ${cls}">${csrfField(session)}<input type="hidden" name="back" value="${back}">${Object.entries(fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit">${label}</button></form>`;
}

export function canOperate(session: Session): boolean {
  return session.caller.role !== "viewer";
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly page: number;
  readonly pages: number;
  readonly total: number;
}

/** One page of rows (1-based; out of range is clamped): pages are cut on the server. */
export function paginate<T>(all: readonly T[], pageParam: string | null, perPage: number): Page<T> {
  const pages = Math.max(1, Math.ceil(all.length / perPage));
  const asked = Number.parseInt(pageParam ?? "1", 10);
  const p = Number.isFinite(asked) ? Math.min(Math.max(asked, 1), pages) : 1;
  return { items: all.slice((p - 1) * perPage, p * perPage), page: p, pages, total: all.length };
}

/** Previous/next links keeping the other query parameters. */
export function pager(p: Page<unknown>, path: string, query: URLSearchParams): SafeHtml | null {
  if (p.pages <= 1) return null;
  const link = (n: number, label: string): HtmlValue => {
    const q = new URLSearchParams(query);
    q.set("page", String(n));
    return html`<a href="${path}?${q.toString()}">${label}</a>`;
  };
  return html`<p class="pager">${p.page > 1 ? link(p.page - 1, "← previous") : null} page ${p.page} of ${p.pages} (${p.total} rows) ${p.page < p.pages ? link(p.page + 1, "next →") : null}</p>`;
}

export function table(headings: readonly string[], rows: readonly SafeHtml[], id = ""): SafeHtml {
  return html`<table${id === "" ? null : html` id="${id}"`}><thead><tr>${headings.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}

export const when = (ms: bigint | number): string => (Number(ms) === 0 ? "–" : new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"));
