import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { signCommand, signCommandBatch } from "@binfleet/shared";
import { CommandGate } from "./command-gate.js";
import { CommandState } from "./command-state.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const now = Date.now();
const command = (id: string, sequence: bigint, nodeId = "node-1") => ({ id, nodeId, sequence, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 60_000), action: { case: "report" as const, value: {} } });

describe("CommandGate", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** A gate over a fresh state directory, with every log line it writes. */
  async function gate(): Promise<{ gate: CommandGate; lines: Record<string, unknown>[]; stateDir: string }> {
    const stateDir = await mkdtemp(join(tmpdir(), "binfleet-gate-"));
    dirs.push(stateDir);
    const lines: Record<string, unknown>[] = [];
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => d.toString().split("\n").filter((l) => l !== "").forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
    const log = createLogger({ name: "test", level: "debug", destination: sink });
    return { gate: new CommandGate({ nodeId: "node-1", maxBytes: 65536, keys: { keys: new Map([["k1", publicKey]]) }, state: await CommandState.load(stateDir), log }), lines, stateDir };
  }
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  test("a command taken once comes again quietly; an old sequence under another id is a refusal", async () => {
    const { gate: g, lines } = await gate();
    const first = signCommand(command("c1", 5n), privateKey, "k1");
    const cmd = g.admit(first);
    assert.equal(cmd?.id, "c1");
    assert.equal(g.taken(first), false, "not taken until accepted");
    await g.accept(cmd!);
    assert.equal(g.taken(first), true);
    assert.equal(g.admit(first), null, "the same command again");
    assert.equal(g.admit(signCommand(command("c0", 4n), privateKey, "k1")), null, "an older sequence");
    await settle();
    assert.deepEqual(lines.filter((l) => l["msg"] === "command already taken").map((l) => [l["level"], l["commandId"]]), [["debug", "c1"]]);
    assert.deepEqual(lines.filter((l) => l["msg"] === "command refused").map((l) => [l["reason"], l["commandId"]]), [["replayed", "c0"]]);
  });

  test("what was taken survives a restart; batch-signed commands pass like plain ones", async () => {
    const { gate: g, stateDir } = await gate();
    const [a, b] = signCommandBatch([command("b1", 10n), command("b2", 11n, "node-2")], privateKey, "k1");
    await g.accept(g.admit(a!)!);
    assert.equal(g.admit(b!), null, "node-2's command");
    const again = new CommandGate({ nodeId: "node-1", maxBytes: 65536, keys: { keys: new Map([["k1", publicKey]]) }, state: await CommandState.load(stateDir), log: createLogger({ name: "test", level: "silent", destination: new PassThrough() }) });
    assert.equal(again.taken(a!), true);
    assert.equal(again.taken(signCommand(command("b3", 12n), privateKey, "k1")), false);
  });

  test("a forged command is not taken, whatever id it claims", async () => {
    const { gate: g } = await gate();
    const good = signCommand(command("c1", 1n), privateKey, "k1");
    await g.accept(g.admit(good)!);
    assert.equal(g.taken(signCommand(command("c1", 1n), generateKeyPairSync("ed25519").privateKey, "k1")), false);
  });
});
