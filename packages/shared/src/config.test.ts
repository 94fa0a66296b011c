import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { z } from "zod";
import { loadConfigFile, parseConfig } from "./config.js";
import { ConfigError } from "./errors.js";

const Schema = z.object({
  nats: z.object({ urls: z.array(z.string().url()).default([]) }).default({ urls: [] }),
  builders: z.number().int().min(1).default(2),
});

describe("config", () => {
  test("fills defaults", () => {
    assert.deepEqual(parseConfig(Schema, {}), { nats: { urls: [] }, builders: 2 });
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
});
