import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { test } from "node:test";
import { programPath } from "./programs.js";

test("programs run from BINFLEET_PROGRAMS when it names a directory, from the workspace otherwise", async () => {
  assert.equal(programPath("binfleet-agent", { BINFLEET_PROGRAMS: "/opt/b" }), "/opt/b/bin/binfleet-agent");
  for (const env of [{}, { BINFLEET_PROGRAMS: " " }]) {
    const cli = programPath("binfleet", env);
    assert.match(cli, /packages\/cli\/bin\/binfleet\.js$/);
    await access(cli);
  }
});
