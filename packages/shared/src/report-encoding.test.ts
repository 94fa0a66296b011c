import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { AgentReportSchema } from "./gen/binfleet/v1/report_pb.js";
import { ReportDecodeError, compressReport, decodeReport } from "./report-encoding.js";

const report = create(AgentReportSchema, {
  nodeId: "node-1",
  world: ["app-misc/a"],
  installed: Array.from({ length: 1500 }, (_, i) => ({ cpv: `app-misc/pkg${i}-1.${i % 7}`, slot: "0", repo: "gentoo", use: ["ipv6", "ssl"], iuse: ["+ipv6", "ssl", "zstd", "nls"], buildTime: 1_790_000_000n })),
});

test("a report round-trips, compressed well below its protobuf size", () => {
  const wire = compressReport(toBinary(AgentReportSchema, report));
  assert.ok(wire.length * 4 < toBinary(AgentReportSchema, report).length, `${wire.length} bytes`);
  const back = decodeReport(wire, 1024 * 1024);
  assert.equal(back.installed.length, 1500);
  assert.equal(back.installed[42]!.cpv, "app-misc/pkg42-1.0");
});

test("an uncompressed report (older agents) still decodes", () => {
  assert.equal(decodeReport(toBinary(AgentReportSchema, report), 1024 * 1024).nodeId, "node-1");
});

test("size limits hold before and after decompression", () => {
  const reason = (fn: () => unknown): string | null => {
    try {
      fn();
      return null;
    } catch (e) {
      assert.ok(e instanceof ReportDecodeError);
      return e.reason;
    }
  };
  assert.equal(reason(() => decodeReport(gzipSync(new Uint8Array(10 * 1024 * 1024)), 1024 * 1024)), "too-large", "a gzip bomb");
  assert.equal(reason(() => decodeReport(toBinary(AgentReportSchema, report), 1024)), "too-large");
  assert.equal(reason(() => decodeReport(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 1024)), "malformed");
  assert.equal(reason(() => decodeReport(gzipSync(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])), 1024)), "malformed");
});
