// The three programs' command-line habits: --help exits 0, --version prints the version, and the
// man pages rendered from the same descriptions as --help are valid for man(1).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AGENT_DOC } from "@binfleet/agent";
import { cliDoc } from "@binfleet/cli";
import { COORDINATOR_DOC } from "@binfleet/coordinator";
import { BINFLEET_VERSION, type ProgramDoc, renderMan } from "@binfleet/shared";
import { execa } from "execa";
import { binOf } from "./fleet-harness.js";
import { programArgv } from "./programs.js";

/** Each program with the argv after `node` that starts it. */
const programs: { doc: ProgramDoc; start: string[] }[] = [
  { doc: cliDoc(), start: programArgv("binfleet") },
  { doc: AGENT_DOC, start: programArgv("binfleet-agent") },
  { doc: COORDINATOR_DOC, start: [binOf("@binfleet/coordinator", "binfleet-coordinator.js")] },
];

describe("binfleet, binfleet-agent and binfleet-coordinator on the command line", () => {
  let tmp: string;
  before(async () => void (tmp = await mkdtemp(join(tmpdir(), "binfleet-docs-"))));
  after(() => rm(tmp, { recursive: true, force: true }));

  for (const { doc, start } of programs) {
    test(`${doc.name} --help exits 0 with its usage; --version prints the version; run --help does not start it`, async () => {
      const help = await execa(process.execPath, [...start, "--help"], { reject: false });
      assert.equal(help.exitCode, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^usage: ${doc.name} `));
      const version = await execa(process.execPath, [...start, "--version"], { reject: false });
      assert.equal(version.stdout, `${doc.name} ${BINFLEET_VERSION}`);
      if (doc.name !== "binfleet") {
        const runHelp = await execa(process.execPath, [...start, "run", "--help"], { reject: false, timeout: 10_000 });
        assert.equal(runHelp.exitCode, 0);
        assert.match(runHelp.stdout, /^usage: /);
      }
    });

    test(`${doc.name}(${doc.section}) renders with man -l, from the same description as --help`, async (t) => {
      if ((await execa("man", ["--version"], { reject: false })).exitCode !== 0) return t.skip("man is not installed");
      const file = join(tmp, `${doc.name}.${doc.section}`);
      await writeFile(file, renderMan(doc, BINFLEET_VERSION, "2026-12-04"));
      const r = await execa("man", ["-l", file], { env: { MANWIDTH: "100", MANPAGER: "cat", PAGER: "cat", LC_ALL: "C.UTF-8" }, reject: false });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /warning|error/i);
      // man justifies and hyphenates: compare words, not spacing.
      const text = r.stdout.replace(/\u2010\n\s*/g, "").replace(/\s+/g, " ");
      assert.ok(text.includes(`NAME ${doc.name} - ${doc.summary.split(" ").slice(0, 4).join(" ")}`), "NAME holds the summary");
      for (const c of doc.commands ?? []) assert.ok(text.includes(`${doc.name} ${c.synopsis[0]!.split(" ").slice(0, 2).join(" ")}`), `${c.name}'s synopsis`);
    });
  }
});
