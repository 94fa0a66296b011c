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

test("programArgv starts an installed program with the node flags of its #! line, and refuses a line it cannot follow", async () => {
  const dir = await mkdtemp(join(tmpdir(), "binfleet-programs-test-"));
  try {
    await mkdir(join(dir, "bin"));
    const env = { BINFLEET_PROGRAMS: dir };
    await writeFile(join(dir, "bin/binfleet-agent"), "#!/usr/bin/env -S node --lite-mode --no-expose-wasm\nimport './x.js';\n");
    await writeFile(join(dir, "bin/binfleet"), "#!/usr/bin/env node\n// --lite-mode here is no flag\n");
    assert.deepEqual(programArgv("binfleet-agent", env), ["--lite-mode", "--no-expose-wasm", join(dir, "bin/binfleet-agent")]);
    assert.deepEqual(programArgv("binfleet", env), [join(dir, "bin/binfleet")]);
    // Lines that would not start it as given here (flags without -S: env looks for "node --x"), or not with node: refused.
    for (const line of ["#!/bin/sh -e", "#!/usr/bin/env node --lite-mode", "#!/usr/bin/node --lite-mode", "#!/usr/bin/fooenv node"]) {
      await writeFile(join(dir, "bin/binfleet"), `${line}\n`);
      assert.throws(() => programArgv("binfleet", env), /cannot start it as its #! line would/, line);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
