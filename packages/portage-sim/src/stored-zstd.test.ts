import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { readStoredZstd, storedZstdFrame } from "./stored-zstd.js";

test("a stored frame reads back as its content, across block boundaries", () => {
  for (const size of [0, 1, 131_071, 131_072, 131_073, 300_000]) {
    const data = randomBytes(size);
    const frame = storedZstdFrame(data);
    // Magic, descriptor, window, 4-byte content size, a 3-byte header per 128 KiB block.
    assert.equal(frame.length, 10 + 3 * Math.max(1, Math.ceil(size / 131_072)) + size, `size ${size}`);
    assert.equal(frame.readUInt32LE(0), 0xfd2fb528);
    assert.equal(frame.readUInt32LE(6), size);
    assert.deepEqual(readStoredZstd(frame), data, `size ${size}`);
  }
});

test("an RLE block is expanded; a compressed block, a checksum or trailing bytes are left to zstd", () => {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x38, 5, 0, 0, 0]);
  // Last block, type RLE (1), size 5, the byte 0x61.
  const rle = Buffer.concat([header, Buffer.from([(5 << 3) | (1 << 1) | 1, 0, 0, 0x61])]);
  assert.equal(readStoredZstd(rle)?.toString(), "aaaaa");
  const compressed = Buffer.concat([header, Buffer.from([(1 << 3) | (2 << 1) | 1, 0, 0, 0])]);
  assert.equal(readStoredZstd(compressed), null);
  const checksummed = Buffer.from(storedZstdFrame(Buffer.from("abc")));
  checksummed[4] = checksummed[4]! | 0x04;
  assert.equal(readStoredZstd(checksummed), null);
  assert.equal(readStoredZstd(Buffer.concat([storedZstdFrame(Buffer.from("abc")), Buffer.from([0])])), null);
});

test("truncated frames, a wrong content size and other bytes are not read as content", () => {
  const frame = storedZstdFrame(Buffer.from("hello, world"));
  for (let cut = 0; cut < frame.length; cut++) assert.equal(readStoredZstd(frame.subarray(0, cut)), null, `cut at ${cut}`);
  const wrongSize = Buffer.from(frame);
  wrongSize.writeUInt32LE(11, 6);
  assert.equal(readStoredZstd(wrongSize), null);
  assert.equal(readStoredZstd(Buffer.from("not zstd at all")), null);
  // A block larger than the 128 KiB the frame's window allows, though the bytes are there.
  const big = Buffer.alloc(140_000, 7);
  const oversized = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0x38]), Buffer.from([0xe0, 0x22, 0x02, 0x00]), Buffer.from([((big.length << 3) | 1) & 0xff, ((big.length << 3) >> 8) & 0xff, ((big.length << 3) >> 16) & 0xff]), big]);
  assert.equal(oversized.readUInt32LE(6), 140_000);
  assert.equal(readStoredZstd(oversized), null);
  // Block_Size past the end of the buffer.
  const long = Buffer.from(frame);
  long.writeUIntLE((200 << 3) | 1, 10, 3);
  assert.equal(readStoredZstd(long), null);
});
