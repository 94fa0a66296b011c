import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { createLogger } from "@binfleet/daemon";
import { type ReplayState, signCommand } from "@binfleet/shared";
import { agentConfig } from "./agent-config.js";
import { CommandHandler } from "./command-handler.js";
import type { CommandState } from "./command-state.js";
import type { PortageRunner } from "./portage-runner.js";
import type { ProgressInit, ProgressPublisher } from "./progress-publisher.js";
import type { ReportCollector } from "./report-collector.js";
import type { TrustedKeys } from "./trusted-keys.js";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const config = agentConfig({ nodeId: "node-1", nats: { urls: ["nats://127.0.0.1:1"] }, coordinatorKeys: { k1: "unused" } });

/** A handler whose Portage runner fails as given, recording every outcome it sends. */
function handlerWith(runner: Partial<PortageRunner>, state: Partial<CommandState> = {}) {
  const sent: { commandId: string; event: ProgressInit }[] = [];
  const progress = {
    send: async (commandId: string, event: ProgressInit) => void sent.push({ commandId, event }),
    refuse: async (commandId: string, error: string) => void sent.push({ commandId, event: { case: "finished", value: { exitCode: -1, success: false, error } } }),
    succeeded: async (commandId: string) => void sent.push({ commandId, event: { case: "finished", value: { exitCode: 0, success: true } } }),
  } as unknown as ProgressPublisher;
  const replay: ReplayState = { lastSequence: 0n, seenIds: new Set() };
  const commands = { replayState: () => replay, accept: async () => undefined, ...state } as unknown as CommandState;
  const keys = { keys: new Map([["k1", publicKey]]) } as unknown as TrustedKeys;
  const handler = new CommandHandler(config, keys, commands, runner as PortageRunner, {} as ReportCollector, progress, { request: () => undefined }, createLogger({ name: "test", level: "silent", destination: new PassThrough() }));
  return { handler, sent };
}

const update = (id: string, sequence: bigint): Uint8Array =>
  signCommand({ id, nodeId: "node-1", sequence, issuedAtUnixMs: BigInt(Date.now()), expiresAtUnixMs: BigInt(Date.now() + 60_000), action: { case: "update", value: { atoms: [], getbinpkgonly: false, pretend: false, hold: [] } } }, privateKey, "k1");

describe("CommandHandler", () => {
  test("a handler that throws is answered finished{success:false} with the reason, and handle() resolves", async () => {
    const { handler, sent } = handlerWith({
      updateArgv: () => ["/usr/bin/emerge"],
      run: async () => {
        throw new Error("spawn /usr/bin/emerge EACCES");
      },
    });
    await handler.handle(update("c1", 1n));
    const finished = sent.filter((s) => s.commandId === "c1" && s.event?.case === "finished");
    assert.equal(finished.length, 1);
    const v = finished[0]!.event!.value as { success: boolean; error: string };
    assert.equal(v.success, false);
    assert.match(v.error, /EACCES/);
    assert.equal(handler.busy, null, "the emerge slot is free again");
  });

  test("a command that cannot be recorded (state store unwritable) is answered too, and runs nothing", async () => {
    let ran = false;
    const { handler, sent } = handlerWith(
      {
        updateArgv: () => ["/usr/bin/emerge"],
        run: async () => {
          ran = true;
          return { exitCode: 0, stdout: "", stderr: "" };
        },
      },
      {
        accept: async () => {
          throw new Error("EROFS: read-only file system");
        },
      },
    );
    await handler.handle(update("c2", 2n));
    assert.equal(ran, false);
    const v = sent.find((s) => s.commandId === "c2" && s.event?.case === "finished")?.event?.value as { success: boolean; error: string };
    assert.equal(v.success, false);
    assert.match(v.error, /EROFS/);
  });

  test("a command whose signature does not verify gets no outcome and runs nothing", async () => {
    const { handler, sent } = handlerWith({ updateArgv: () => assert.fail("nothing may run") });
    const forged = update("c3", 3n);
    forged[12] = forged[12]! ^ 0xff;
    await handler.handle(forged);
    assert.deepEqual(sent, []);
  });
});
