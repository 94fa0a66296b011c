// A report on the wire: the AgentReport's protobuf encoding, gzipped. A node's 1,500 installed
// packages repeat the same flags and categories over and over: gzip takes a report of ~190 KB to
// ~15 KB, which matters for 10,000 nodes reporting into one stream. Decoding also takes the
// uncompressed encoding that agents sent before: a protobuf AgentReport never starts with gzip's
// magic bytes (0x1f would be field 3 with wire type 7, which does not exist).
import { gunzipSync, gzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { type AgentReport, AgentReportSchema } from "./gen/binfleet/v1/report_pb.js";

export class ReportDecodeError extends Error {
  override readonly name = "ReportDecodeError";
  constructor(
    message: string,
    /** too-large: it decompresses to more than the limit; malformed: not a (gzipped) report. */
    readonly reason: "too-large" | "malformed",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const isGzip = (data: Uint8Array): boolean => data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;

/** The report as agents publish it, from its protobuf encoding (whose size the limits apply to). */
export function compressReport(encoded: Uint8Array): Uint8Array {
  return gzipSync(encoded);
}

/**
 * A report from the wire, compressed or not; `maxBytes` bounds its decompressed size (a small
 * message must not inflate into gigabytes).
 */
export function decodeReport(data: Uint8Array, maxBytes: number): AgentReport {
  let raw = data;
  if (isGzip(data)) {
    try {
      raw = gunzipSync(data, { maxOutputLength: maxBytes });
    } catch (err) {
      const tooLarge = err instanceof RangeError || (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      throw new ReportDecodeError(tooLarge ? `report decompresses to more than ${maxBytes} bytes` : `not a gzipped report: ${(err as Error).message}`, tooLarge ? "too-large" : "malformed", { cause: err });
    }
  } else if (data.length > maxBytes) {
    throw new ReportDecodeError(`report of ${data.length} bytes exceeds ${maxBytes}`, "too-large");
  }
  try {
    return fromBinary(AgentReportSchema, raw);
  } catch (err) {
    throw new ReportDecodeError(`not a report: ${(err as Error).message}`, "malformed", { cause: err });
  }
}
