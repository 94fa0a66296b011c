// binfleet's vercmp and parseAtom against real Portage's (portage.versions.vercmp,
// portage.dep.Atom) on a few thousand generated and edge-case inputs: the guard for the
// hand-written parsers. Skips with a note without ../shared/portage or python3.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { execa } from "execa";
import { PortageFormatError, parseAtom, vercmp } from "@binfleet/shared";
import { atomCases, versionCases } from "./portage-inputs.js";
import { portageEnv, portageMissing, portageScript, realPortage } from "./real-portage.js";

const python = await execa("python3", ["--version"], { reject: false });
const skip = portageMissing() ?? (python.exitCode === 0 ? false : "python3 not found: Portage cannot run");

type Answer = { vercmp: [string, string]; result: number | null } | { atom: string; result: Record<string, unknown> | null };

/** Portage's answers for the given inputs (bench/portage-formats.py check). */
async function askPortage(pairs: [string, string][], atoms: string[]): Promise<Answer[]> {
  const portage = (await realPortage())!;
  const dir = await mkdtemp(join(tmpdir(), "binfleet-agreement-"));
  try {
    await writeFile(join(dir, "versions"), pairs.map((p) => `${p.join("\t")}\n`).join(""));
    await writeFile(join(dir, "atoms"), atoms.map((a) => `${a}\n`).join(""));
    const { stdout } = await execa("python3", [portageScript, "check", join(dir, "versions"), join(dir, "atoms")], { env: portageEnv(portage), extendEnv: false });
    return stdout.split("\n").map((l) => JSON.parse(l) as Answer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** binfleet's answer in Portage's terms: null where binfleet refuses the input. */
function refusedAsNull<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PortageFormatError) return null;
    throw err;
  }
}

function atomFields(text: string): Record<string, unknown> | null {
  const a = refusedAsNull(() => parseAtom(text));
  if (a === null) return null;
  const { blocker, operator, cp, version, buildId, slot, subslot, slotOperator, repo } = a;
  return { blocker, operator, cp, version, buildId, slot, subslot, slotOperator, repo, use: a.useDeps.map((u) => u.raw) };
}

describe("binfleet agrees with real Portage", { skip }, () => {
  test("vercmp and Atom on generated and edge-case inputs", async () => {
    const pairs = versionCases(3000);
    const atoms = atomCases(1500);
    const answers = await askPortage(pairs, atoms);
    assert.equal(answers.length, pairs.length + atoms.length);
    const wrong: string[] = [];
    let invalidAtoms = 0;
    for (const answer of answers) {
      if ("vercmp" in answer) {
        const [a, b] = answer.vercmp;
        const ours = refusedAsNull(() => vercmp(a, b));
        if (ours !== answer.result) wrong.push(`vercmp(${JSON.stringify(a)}, ${JSON.stringify(b)}): Portage ${answer.result}, binfleet ${ours}`);
      } else {
        if (answer.result === null) invalidAtoms++;
        const ours = atomFields(answer.atom);
        if (JSON.stringify(ours) !== JSON.stringify(answer.result)) wrong.push(`Atom(${JSON.stringify(answer.atom)}): Portage ${JSON.stringify(answer.result)}, binfleet ${JSON.stringify(ours)}`);
      }
    }
    // The inputs exercise both answers: most generated atoms are valid, most mangled ones are not.
    assert.ok(invalidAtoms > 300 && invalidAtoms < atoms.length - 1000, `${invalidAtoms} of ${atoms.length} atoms invalid`);
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} disagreements`);
  });
});
