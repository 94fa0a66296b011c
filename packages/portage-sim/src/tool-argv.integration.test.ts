import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { execa } from "execa";
import type { ToolName } from "./cli.js";
import { TOOL_NODE_FLAGS, simToolArgv, toolPath } from "./tool-argv.js";

const TOOLS: readonly ToolName[] = ["emerge", "ebuild", "portageq", "gpkg-sign", "emaint"];

test("every tool's #! line carries the node flags simToolArgv starts it with", async () => {
  for (const tool of TOOLS) {
    const first = (await readFile(toolPath(tool), "utf8")).split("\n", 1)[0];
    assert.equal(first, `#!/usr/bin/env -S node ${TOOL_NODE_FLAGS.join(" ")}`, tool);
  }
});

test("a tool started with those flags prints only its own words (V8 warns of nothing)", async () => {
  const [node, ...args] = simToolArgv("portageq");
  // No simulated system named: the tool's own error, and nothing else.
  const r = await execa(node!, [...args, "envvar", "ARCH"], { reject: false, env: { BINFLEET_SIM_ROOT: "", ROOT: "", PORTAGE_CONFIGROOT: "" } });
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, "portage-sim: no simulated system: set BINFLEET_SIM_ROOT (or ROOT / PORTAGE_CONFIGROOT)");
});
