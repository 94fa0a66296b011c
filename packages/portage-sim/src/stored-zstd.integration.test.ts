import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { execa } from "execa";
import { decompress } from "./compression.js";
import { readStoredZstd, storedZstdFrame } from "./stored-zstd.js";

test("zstd reads stored frames, and zstd's own frames still decompress", async () => {
  const data = Buffer.concat([randomBytes(200_000), Buffer.from("metadata.tar bytes ".repeat(1000))]);
  const frame = storedZstdFrame(data);
  const r = await execa("zstd", ["-q", "-d", "-c"], { input: frame, encoding: "buffer" });
  assert.deepEqual(Buffer.from(r.stdout), data, "zstd decompresses a stored frame to its content");
  const empty = await execa("zstd", ["-q", "-d", "-c"], { input: storedZstdFrame(Buffer.alloc(0)), encoding: "buffer" });
  assert.equal(Buffer.from(empty.stdout).length, 0);
  // What zstd makes (compressed blocks, a checksum) is read by the zstd program.
  const made = Buffer.from((await execa("zstd", ["-q", "-3", "-c"], { input: data, encoding: "buffer" })).stdout);
  assert.equal(readStoredZstd(made), null);
  assert.deepEqual(await decompress(made, "zst"), data);
  assert.deepEqual(await decompress(frame, "zst"), data);
});
