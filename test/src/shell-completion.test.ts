import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bashCompletion, zshCompletion } from "@binfleet/cli";
import { execa } from "execa";

// In test/, not in packages/cli: the CLI package depends on no process runner. The shell is what
// is under test: bash runs the completion script with a fixed program text, and the words typed
// arrive as its positional arguments, never as program text.

describe("shell completion", () => {
  let tmp: string;
  let script: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-completion-"));
    script = join(tmp, "binfleet");
    await writeFile(script, bashCompletion());
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  /** What bash's completion function offers for the words typed so far (the last one being completed). */
  const complete = async (...words: string[]): Promise<string[]> => {
    const r = await execa("bash", ["--norc", "--noprofile", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _binfleet; printf '%s\\n' "\${COMPREPLY[@]}"`, "complete", script, ...words]);
    return r.stdout.split("\n").filter((l) => l !== "");
  };

  test("bash: binfleet ro<TAB> completes to rollout", async () => {
    assert.deepEqual(await complete("binfleet", "ro"), ["rollout"]);
  });

  test("bash: a command's subcommands, then its options; global options before the command", async () => {
    assert.deepEqual(await complete("binfleet", "rollout", ""), ["start", "status", "pause", "resume", "abort"]);
    assert.deepEqual(await complete("binfleet", "rollout", "start", "--dr"), ["--dry-run"]);
    assert.deepEqual(await complete("binfleet", "--server", "h:1", "--js"), ["--json"]);
    assert.deepEqual((await complete("binfleet", "--json", "pl")).sort(), ["plan", "platforms"]);
  });

  test("zsh: the script parses", async (t) => {
    if ((await execa("zsh", ["--version"]).catch(() => null)) === null) return t.skip("zsh is not installed");
    const file = join(tmp, "_binfleet");
    await writeFile(file, zshCompletion());
    await execa("zsh", ["-n", file]);
  });
});
