import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, html } from "./html.js";

const hostile = "<img src=x onerror=window.__pwned=1>";

test("a hostile string is text: no tag, no attribute break-out", () => {
  const out = html`<td title="${`" onmouseover="x`}">${hostile}</td>`.text;
  assert.equal(out, '<td title="&quot; onmouseover=&quot;x">&lt;img src=x onerror=window.__pwned=1&gt;</td>');
  assert.doesNotMatch(out, /<img/);
  assert.equal(escapeHtml(`'&'`), "&#39;&amp;&#39;");
});

test("markup from html is kept, lists are joined, absent values are empty", () => {
  const rows = ["a<b", "c"].map((x) => html`<li>${x}</li>`);
  assert.equal(html`<ul>${rows}</ul>${null}${undefined}${false}${0}`.text, "<ul><li>a&lt;b</li><li>c</li></ul>0");
});

test("a string cannot pass as markup", () => {
  const fake = { text: hostile, toString: () => hostile };
  assert.equal(html`${fake as unknown as string}`.text, escapeHtml(hostile));
});
