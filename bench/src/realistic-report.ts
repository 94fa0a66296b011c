import { create, toBinary } from "@bufbuild/protobuf";
import { reportPlatform } from "@binfleet/shared/testing";
import { AgentReportSchema, MergeKind } from "@binfleet/shared/wire";

/** A report's protobuf encoding as a node with 1,500 installed packages and ~120 pending updates makes it. */
export function realisticReport(node: string): Uint8Array {
  const flags = ["acl", "ipv6", "ssl", "zstd", "nls", "pam", "readline", "udev", "X", "gtk"];
  return toBinary(
    AgentReportSchema,
    create(AgentReportSchema, {
      nodeId: node,
      generatedAtUnixMs: BigInt(Date.now()),
      platform: reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: "-O2 -pipe -march=x86-64-v3", profile: "default/linux/amd64/23.0" }),
      snapshots: [{ repo: "gentoo", id: "Wed, 25 Nov 2026 00:45:01 +0000" }],
      world: Array.from({ length: 120 }, (_, i) => `cat-${i % 40}/pkg${i}`),
      installed: Array.from({ length: 1500 }, (_, i) => ({
        cpv: `cat-${i % 160}/pkg${i}-${1 + (i % 9)}.${i % 31}`,
        slot: "0",
        repo: "gentoo",
        use: flags.filter((_, k) => (i + k) % 3 === 0),
        iuse: flags.map((f, k) => (k % 4 === 0 ? `+${f}` : f)),
        buildTime: 1_790_000_000n,
      })),
      plan: Array.from({ length: 120 }, (_, i) => ({ kind: i % 5 === 0 ? MergeKind.BINARY : MergeKind.EBUILD, cpv: `cat-${i % 160}/pkg${i}-${2 + (i % 9)}.0`, use: flags.filter((_, k) => (i + k) % 2 === 0), useDisabled: flags.filter((_, k) => (i + k) % 2 === 1), flags: "U", downloadBytes: 4_000_000n })),
      contentHash: "0".repeat(64),
      agentVersion: "0.1.0",
    }),
  );
}
