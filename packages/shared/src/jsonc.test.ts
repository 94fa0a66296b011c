import assert from "node:assert/strict";
import { test } from "node:test";
import { stripJsonComments } from "./jsonc.js";

test("line and block comments become blanks; strings holding // or /* are data; positions are kept", () => {
  const text = '// head\n{\n  "url": "https://x.example/a//b", // trailing\n  /* block\n  over lines */ "n": 1,\n  "q": "say \\"/*hi*/\\""\n}\n';
  const stripped = stripJsonComments(text);
  assert.deepEqual(JSON.parse(stripped), { url: "https://x.example/a//b", n: 1, q: 'say "/*hi*/"' });
  assert.equal(stripped.length, text.length);
  assert.equal(stripped.split("\n").length, text.split("\n").length);
});

test("without comments the text is unchanged; an unclosed block is left for JSON.parse to refuse", () => {
  assert.equal(stripJsonComments('{"a": [1, 2]}'), '{"a": [1, 2]}');
  assert.throws(() => JSON.parse(stripJsonComments('{"a": 1 /* open')));
});
