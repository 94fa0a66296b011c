// zstd frames of stored (Raw) blocks, written and read without a zstd process.
//
// Node 20 has no zstd, and a simulated build ran `zstd` twice per binary package: on a test
// machine that is hundreds of processes whose start costs far more than their work. The format
// (RFC 8878) lets a frame carry its content in Raw blocks: any zstd reads such a frame, as real
// Portage does when it unpacks a package portage-sim made. The simulator models Portage's
// behaviour, not zstd's ratio, so its gpkg members are stored frames. Frames made by zstd itself
// (compressed blocks, checksums, dictionaries, several frames) are left to the zstd program.

const MAGIC = 0xfd2fb528;
/** Block_Maximum_Size: min(Window_Size, 128 KiB); the frames written here have a 128 KiB window. */
const BLOCK = 128 * 1024;
/** Window_Descriptor for 128 KiB: Exponent 7 (2^(10+7)), Mantissa 0. */
const WINDOW_128K = 7 << 3;
const RAW = 0;
const RLE = 1;

/**
 * One zstd frame holding `data` (under 4 GiB: a gpkg member) in Raw blocks: Frame_Content_Size in
 * 4 bytes, a 128 KiB window, no checksum, no dictionary.
 */
export function storedZstdFrame(data: Uint8Array): Buffer {
  if (data.length > 0xffffffff) throw new RangeError(`${data.length} bytes do not fit a 4-byte Frame_Content_Size`);
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = Buffer.allocUnsafe(4 + 1 + 1 + 4 + blocks * 3 + data.length);
  let at = out.writeUInt32LE(MAGIC, 0);
  // Frame_Header_Descriptor: Frame_Content_Size_flag 2 (4 bytes), not single-segment.
  at = out.writeUInt8(2 << 6, at);
  at = out.writeUInt8(WINDOW_128K, at);
  at = out.writeUInt32LE(data.length, at);
  for (let b = 0; b < blocks; b++) {
    const start = b * BLOCK;
    const size = Math.min(BLOCK, data.length - start);
    const last = b === blocks - 1 ? 1 : 0;
    // Block_Header: Last_Block (bit 0), Block_Type (bits 1-2, Raw = 0), Block_Size (bits 3-23).
    at = out.writeUIntLE((size << 3) | (RAW << 1) | last, at, 3);
    out.set(data.subarray(start, start + size), at);
    at += size;
  }
  return out;
}

/**
 * The content of a frame without checksum or dictionary whose blocks are all Raw or RLE (what
 * storedZstdFrame writes), or null for anything else: compressed blocks, a checksum, a
 * dictionary, skippable or further frames, blocks larger than the frame allows, or bytes that are
 * not such a frame. Those are zstd's to read or refuse.
 */
export function readStoredZstd(frame: Uint8Array): Buffer | null {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < 6 || buf.readUInt32LE(0) !== MAGIC) return null;
  const fhd = buf[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictionary = fhd & 3;
  // Reserved bit set, a checksum or a dictionary: zstd decides.
  if ((fhd & 0x08) !== 0 || checksum !== 0 || dictionary !== 0) return null;
  const windowByte = singleSegment ? 0 : buf[5]!;
  let at = 5 + (singleSegment ? 0 : 1);
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (buf.length < at + fcsBytes) return null;
  let contentSize: number | null = null;
  if (fcsBytes === 1) contentSize = buf[at]!;
  else if (fcsBytes === 2) contentSize = buf.readUInt16LE(at) + 256;
  else if (fcsBytes === 4) contentSize = buf.readUInt32LE(at);
  else if (fcsBytes === 8) contentSize = Number(buf.readBigUInt64LE(at));
  at += fcsBytes;
  // Window_Size from Window_Descriptor (Exponent, Mantissa), or the content size in a single segment.
  const windowBase = 2 ** (10 + (windowByte >> 3));
  const windowSize = singleSegment ? (contentSize ?? 0) : windowBase + (windowBase / 8) * (windowByte & 7);
  const blockMax = Math.min(windowSize, BLOCK);
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    if (buf.length < at + 3) return null;
    const header = buf.readUIntLE(at, 3);
    at += 3;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (size > blockMax) return null;
    if (type === RAW) {
      if (buf.length < at + size) return null;
      parts.push(buf.subarray(at, at + size));
      at += size;
      total += size;
    } else if (type === RLE) {
      if (buf.length < at + 1) return null;
      parts.push(Buffer.alloc(size, buf[at]!));
      at += 1;
      total += size;
    } else {
      return null;
    }
    if ((header & 1) === 1) break;
  }
  // Another frame follows, or the content is not the size the header says: zstd decides.
  if (at !== buf.length || (contentSize !== null && contentSize !== total)) return null;
  return Buffer.concat(parts, total);
}
