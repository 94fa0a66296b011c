import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { gpgHomeProblem } from "./binpkg-keys.js";

const home = (length: number): string => `/${"h".repeat(length - 1)}`;

test("a gpg home whose agent sockets would pass 106 bytes is named as too long", { skip: existsSync(`/run/user/${process.getuid?.() ?? 0}`) ? "gpg keeps its sockets in /run/user here" : false }, () => {
  // 86 + "/S.gpg-agent.browser" = 106: the longest gpg takes.
  assert.equal(gpgHomeProblem(home(86)), null);
  assert.match(gpgHomeProblem(home(87)) ?? "", /too long for gpg-agent's sockets \(107 bytes with S\.gpg-agent\.browser, at most 106\)/);
});
