import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { programArgv, programPath } from "./programs.js";

test("programs run from BINFLEET_PROGRAMS when it names a directory, from the workspace otherwise", async () => {
  assert.equal(programPath("binfleet-agent", { BINFLEET_PROGRAMS: "/opt/b" }), "/opt/b/bin/binfleet-agent");
  for (const env of [{}, { BINFLEET_PROGRAMS: " " }]) {
    const cli = programPath("binfleet", env);
    assert.match(cli, /packages\/cli\/bin\/binfleet\.js$/);
    await access(cli);
  }
});

test("programArgv starts an installed program with the node flags of its #! line, and only those", async () => {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-programs-test-"));
  try {
    await mkdir(join(dir, "bin"));
    const env = { BINFLEET_PROGRAMS: dir };
    await writeFile(join(dir, "bin/binfleet-agent"), "#!/usr/bin/env -S node --lite-mode --no-expose-wasm\nimport './x.js';\n");
    await writeFile(join(dir, "bin/binfleet"), "#!/usr/bin/env node\n// --lite-mode here is no flag\n");
    assert.deepEqual(programArgv("binfleet-agent", env), ["--lite-mode", "--no-expose-wasm", join(dir, "bin/binfleet-agent")]);
    assert.deepEqual(programArgv("binfleet", env), [join(dir, "bin/binfleet")]);
    // Something other than node on the #! line: no flags are taken from it.
    await writeFile(join(dir, "bin/binfleet"), "#!/bin/sh -e\n");
    assert.deepEqual(programArgv("binfleet", env), [join(dir, "bin/binfleet")]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
