import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { AgentReportSchema, MergeKind, SignedCommandSchema } from "@binfleet/shared/wire";
import { reportPlatform } from "@binfleet/shared/testing";
import { ReportRejectedError, validateReport } from "./report-validation.js";

const good = (over: Record<string, unknown> = {}) =>
  toBinary(
    AgentReportSchema,
    create(AgentReportSchema, {
      nodeId: "node-1",
      platform: reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu" }),
      plan: [{ kind: MergeKind.EBUILD, cpv: "dev-libs/openssl-3.3.2", use: ["asm", "python_targets_python3_12"] }],
      ...over,
    }),
  );

function rejected(subject: string, data: Uint8Array, reason: ReportRejectedError["reason"]): void {
  assert.throws(() => validateReport(subject, data, 1024 * 1024), (e: unknown) => e instanceof ReportRejectedError && e.reason === reason, reason);
}

describe("report validation", () => {
  test("a good report passes", () => {
    assert.equal(validateReport("binfleet.report.node-1", good(), 1024 * 1024).nodeId, "node-1");
  });

  test("a platform key that is not what the reported settings produce is refused", () => {
    const other = reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: "-O2 -march=znver4" });
    // Another platform's key with this node's settings: the variants would be filed under it.
    rejected("binfleet.report.node-1", good({ platform: { ...reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu" }), key: other.key } }), "platform-mismatch");
    rejected("binfleet.report.node-1", good({ platform: { arch: "amd64", key: "amd64-0123456789ab" } }), "platform-mismatch");
    assert.equal(validateReport("binfleet.report.node-1", good({ platform: other }), 1024 * 1024).platform!.key, other.key);
  });

  test("garbage, wrong schema, impersonation, hostile names and 50 MB are refused with a reason", () => {
    rejected("binfleet.report.node-1", new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), "malformed");
    rejected("binfleet.report.node-1", toBinary(SignedCommandSchema, create(SignedCommandSchema, { command: new Uint8Array([1]), keyId: "x" })), "malformed");
    rejected("binfleet.report.node-2", good(), "impersonation");
    rejected("binfleet.report.node.1", good({ nodeId: "node.1" }), "bad-node-id");
    rejected("binfleet.report.node-1", good({ platform: undefined }), "no-platform");
    rejected("binfleet.report.node-1", good({ plan: [{ kind: MergeKind.EBUILD, cpv: "dev-libs/openssl-3.3.2; rm -rf /", use: [] }] }), "bad-package");
    rejected("binfleet.report.node-1", good({ plan: [{ kind: MergeKind.EBUILD, cpv: "dev-libs/openssl-3.3.2", use: ["$(reboot)"] }] }), "bad-package");
    assert.throws(() => validateReport("binfleet.report.node-1", new Uint8Array(50 * 1024 * 1024), 8 * 1024 * 1024), (e: unknown) => e instanceof ReportRejectedError && e.reason === "too-large");
  });
});
