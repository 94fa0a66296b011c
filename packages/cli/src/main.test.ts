import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BINFLEET_VERSION } from "@binfleet/shared/program";
import type { Io } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { main } from "./main.js";

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => void (out += t), err: (t) => void (err += t), tty: false, color: false, stdout: () => out, stderr: () => err };
}

describe("binfleet command line", () => {
  test("--help lists every command and exits 0; so does `help`", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const io = capture();
      assert.equal(await main(argv, io), 0);
      for (const c of COMMANDS) assert.match(io.stdout(), new RegExp(`\\n  ${c.name} `), `${argv.join(" ")} names ${c.name}`);
    }
  });

  test("COMMAND --help prints that command's own usage and exits 0, without a coordinator", async () => {
    const io = capture();
    assert.equal(await main(["rollout", "--help"], io), 0);
    assert.match(io.stdout(), /^usage: binfleet rollout start \[--platform P\]/);
    assert.match(io.stdout(), /--max-in-flight K/);
    assert.doesNotMatch(io.stdout(), /binfleet nodes/);
    for (const c of COMMANDS) {
      const each = capture();
      assert.equal(await main([c.name, "--help"], each), 0);
      assert.ok(each.stdout().startsWith(`usage: binfleet ${c.synopsis[0]}`), c.name);
    }
  });

  test("--version prints the version", async () => {
    const io = capture();
    assert.equal(await main(["--version"], io), 0);
    assert.equal(io.stdout(), `binfleet ${BINFLEET_VERSION}\n`);
  });

  test("no command, an unknown command or a bad option exits 2 with the usage on stderr", async () => {
    for (const argv of [[], ["frobnicate"], ["nodes", "--no-such-option"], ["gc", "--keep", "0"]]) {
      const io = capture();
      assert.equal(await main(argv, io), 2, argv.join(" "));
      assert.match(io.stderr(), /usage: binfleet/);
      assert.equal(io.stdout(), "");
    }
  });

  test("an unreachable coordinator is one error line and exit 1", async () => {
    const io = capture();
    assert.equal(await main(["--server", "127.0.0.1:1", "nodes"], io), 1);
    assert.match(io.stderr(), /^binfleet: error: cannot reach the coordinator/);
  });
});
