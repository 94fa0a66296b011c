import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as z from "zod";
import { loadConfigFile, parseConfig } from "./config.js";
import { ConfigError } from "./errors.js";

const Schema = z.object({
  nats: z.object({ urls: z.array(z.string().url()).default([]), embeddedPort: z.number().default(4222) }).default({ urls: [], embeddedPort: 4222 }),
  builders: z.number().int().min(1).default(2),
  policy: z.object({ requireApproval: z.boolean().default(false) }).default({ requireApproval: false }),
  api: z.object({ tokens: z.array(z.object({ name: z.string() })).default([]) }).default({ tokens: [] }),
  env: z.record(z.string(), z.string()).default({}),
});

const rejects = (value: unknown): ConfigError => {
  try {
    parseConfig(Schema, value, "coordinator.json");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail("accepted");
};

describe("config", () => {
  test("fills defaults", () => {
    assert.deepEqual(parseConfig(Schema, {}), { nats: { urls: [], embeddedPort: 4222 }, builders: 2, policy: { requireApproval: false }, api: { tokens: [] }, env: {} });
  });

  test("names the file and the bad key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "binfleet-config-"));
    try {
      const file = join(dir, "coordinator.json");
      await writeFile(file, JSON.stringify({ nats: { urls: ["nats://ok:4222", "not a url"] } }));
      await assert.rejects(loadConfigFile(Schema, file), (e: unknown) => e instanceof ConfigError && e.file === file && e.key === "nats.urls.1" && e.message.startsWith(`${file}: nats.urls.1:`));
      await writeFile(file, "{ not json");
      await assert.rejects(loadConfigFile(Schema, file), (e: unknown) => e instanceof ConfigError && /not valid JSON/.test(e.message));
      await assert.rejects(loadConfigFile(Schema, join(dir, "missing.json")), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("refuses an unknown key, naming the key it most likely meant", () => {
    const e = rejects({ polcy: { requireApproval: true } });
    assert.equal(e.key, "polcy");
    assert.equal(e.message, 'coordinator.json: polcy: unknown key "polcy" (did you mean "policy"?)');
  });

  test("refuses unknown keys at every depth: in objects, array items and record values alike", () => {
    const e = rejects({ nats: { embededPort: 4223 }, api: { tokens: [{ name: "a", role: "admin" }] }, env: {} });
    assert.deepEqual(
      e.problems.map((p) => p.key),
      ["nats.embededPort", "api.tokens.0.role"],
    );
    assert.match(e.message, /nats\.embededPort: unknown key "embededPort" \(did you mean "embeddedPort"\?\)/);
    const nested = z.object({ platforms: z.record(z.string(), z.object({ root: z.string() })) });
    assert.throws(() => parseConfig(nested, { platforms: { amd64: { root: "/", rot: "/x" } } }), (err: unknown) => err instanceof ConfigError && err.key === "platforms.amd64.rot" && /did you mean "root"/.test(err.message));
  });

  test("a nested key written flat is pointed to its place; a key like none is refused without a guess", () => {
    assert.equal(rejects({ apiTokens: [] }).message, 'coordinator.json: apiTokens: unknown key "apiTokens" (did you mean "api.tokens"?)');
    assert.equal(rejects({ verbose: true }).message, 'coordinator.json: verbose: unknown key "verbose"');
  });

  test("reports every problem at once, one line each", () => {
    const e = rejects({ polcy: {}, builders: 0, nats: { urls: ["not a url"] }, apiTokens: [] });
    assert.deepEqual(
      e.problems.map((p) => p.key),
      ["polcy", "apiTokens", "nats.urls.0", "builders"],
    );
    const lines = e.message.split("\n");
    assert.equal(lines.length, 4);
    for (const line of lines) assert.match(line, /^coordinator\.json: [a-zA-Z.0-9]+: /);
  });

  test("a hostile key is clipped and quoted in the message", () => {
    const e = rejects({ [`evil\n${"k".repeat(1000)}`]: 1 });
    assert.doesNotMatch(e.message.split("\n")[0]!, /kkkkk{100}/);
    assert.equal(e.message.split("\n").length, e.problems.length, "no line of its own");
    assert.throws(() => parseConfig(Schema, JSON.parse('{"__proto__": {"x": 1}}'), "c.json"), (err: unknown) => err instanceof ConfigError && err.key === "__proto__");
  });

  test("a strict schema's own refusal is reported once", () => {
    const strict = z.object({ nats: z.strictObject({ urls: z.array(z.string()) }) });
    assert.throws(() => parseConfig(strict, { nats: { urls: [], ursl: [] } }), (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && /did you mean "urls"/.test(err.message));
    // Where the walk does not look (a union's branches), the schema's own word stands.
    const union = z.object({ tls: z.union([z.literal(false), z.strictObject({ cert: z.string() })]) });
    assert.throws(() => parseConfig(union, { tls: { cert: "c", kye: "k" } }), (err: unknown) => err instanceof ConfigError && err.key === "tls");
  });

  test("keys a schema accepts on purpose (a loose object) are not refused", () => {
    assert.deepEqual(parseConfig(z.looseObject({ a: z.number() }), { a: 1, extra: 2 }), { a: 1, extra: 2 });
  });
});
