// The dashboard's first view at fleet scale (issue #23: "first view under 1 s for a 10,000-node
// fleet"): a logged-in viewer's GET of the fleet page, served by the real DashboardServer over the
// coordinator's own FleetControl handlers, reading a real NodeRegistry and BuildPlanner filled with
// 10,000 nodes' reports on 20 platforms.
import { PassThrough } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { ApiTokens } from "@binfleet/api";
import { BuildPlanner, type FleetControl, NodeRegistry, Preflights, fleetControlHandlers } from "@binfleet/coordinator/internal";
import { createLogger } from "@binfleet/daemon";
import { DashboardServer } from "@binfleet/dashboard";
import { reportPlatform } from "@binfleet/shared/testing";
import { AgentReportSchema, ListNodesRequestSchema, MergeKind } from "@binfleet/shared/wire";
import { Metadata } from "@grpc/grpc-js";
import { type Figure, type FigureGroup, type Timing, figure, median, rng, timed } from "./measure.js";

const NODES = 10_000;
const PLATFORMS = 20;
/** Pending merges in a node's plan (as in realisticReport): one in five a binary from the binhost. */
const PLAN = 120;
const STALE_AFTER_MS = 120_000;
const ROUNDS = 7;
const VIEWER = "bench-viewer-token-0123456789";

/**
 * The coordinator's view of such a fleet: 10% of nodes current, 3% silent for an hour (stale), the
 * rest with 120 pending merges; half of what they would compile is held on the binhost already.
 */
function fleetControl(): FleetControl {
  const r = rng(23);
  const now = Date.now();
  const registry = new NodeRegistry(STALE_AFTER_MS);
  const planner = new BuildPlanner();
  const platforms = Array.from({ length: PLATFORMS }, (_, i) => {
    const settings = reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: `-O2 -pipe -march=x86-64-v${1 + (i % 4)} -fbench-${i}`, profile: "default/linux/amd64/23.0" });
    return { settings, config: { name: `amd64-${i}`, key: settings.key } };
  });
  const flags = ["acl", "ipv6", "ssl", "zstd", "nls", "pam", "readline", "udev", "X", "gtk"];
  for (let n = 0; n < NODES; n++) {
    const nodeId = `node-${String(n).padStart(5, "0")}`;
    const p = platforms[n % PLATFORMS]!;
    const current = r() < 0.1;
    const start = Math.floor(r() * 4000);
    const report = create(AgentReportSchema, {
      nodeId,
      generatedAtUnixMs: BigInt(now - 60_000),
      platform: p.settings,
      snapshots: [{ repo: "gentoo", id: "Wed, 25 Nov 2026 00:45:01 +0000" }],
      plan: current
        ? []
        : Array.from({ length: PLAN }, (_, k) => {
            const i = (start + k * 7) % 4000;
            return { kind: k % 5 === 0 ? MergeKind.BINARY : MergeKind.EBUILD, cpv: `cat-${i % 160}/pkg${i}-${2 + (i % 9)}.0`, use: flags.filter((_, f) => (i + f) % 2 === 0), useDisabled: flags.filter((_, f) => (i + f) % 2 === 1), flags: "U", downloadBytes: 4_000_000n };
          }),
      contentHash: "0".repeat(64),
      agentVersion: "0.1.0",
    });
    registry.report(report, r() < 0.03 ? now - 3600_000 : now);
    const rec = registry.get(nodeId)!;
    planner.updateNode({ nodeId, platformKey: rec.platformKey, wants: rec.pending.filter((x) => !x.binary) });
  }
  for (const key of planner.platformKeys()) planner.setHeld(key, planner.buildList(key).filter((_, i) => i % 2 === 0).map((item) => item.key));
  const byKey = new Map(platforms.map((p) => [p.config.key, p.config]));
  const preflights = new Preflights(registry, planner, () => 4_000_000);
  // Only what ListNodes reads; the rest of FleetControl (builders, rollouts, bus) is never called here.
  const control = {
    tokens: new ApiTokens([{ name: "vera", role: "viewer", token: VIEWER }]),
    platforms: { find: (k: string) => byKey.get(k) ?? null, resolveKey: (k: string) => k },
    fleet: { registry, platformChange: () => undefined },
    queue: { planner },
    preflight: (nodeId: string) => preflights.of(nodeId),
  };
  return control as unknown as FleetControl;
}

export const dashboardFirstView: FigureGroup = { ids: ["dashboard.first-view"], figures: () => firstViewFigures() };

async function firstViewFigures(): Promise<Figure[]> {
  const control = fleetControl();
  const log = createLogger({ name: "bench-dashboard", level: "warn", destination: new PassThrough() });
  const handlers = fleetControlHandlers(control, log);
  const server = await DashboardServer.start({ host: "127.0.0.1", port: 0, handlers, tokens: control.tokens, log });
  try {
    const at = (path: string): string => new URL(path, server.url).toString();
    const login = await fetch(at("/ui/login"), { method: "POST", body: new URLSearchParams({ token: VIEWER }), redirect: "manual" });
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    if (login.status !== 303 || cookie === undefined) throw new Error(`bench: dashboard login answered ${login.status}`);
    let bytes = 0;
    const view = async (): Promise<void> => {
      const res = await fetch(at("/ui/"), { headers: { cookie } });
      const text = await res.text();
      if (res.status !== 200 || !text.includes(`data-fleet="*.nodes">${NODES}<`)) throw new Error(`bench: the fleet page (status ${res.status}) does not show ${NODES} nodes`);
      bytes = Buffer.byteLength(text);
    };
    const cold = await timed(view);
    const warm: Timing[] = [];
    for (let i = 0; i < ROUNDS; i++) warm.push(await timed(view));
    // A build landing on a platform's binhost changes what its nodes would take: their pre-flights are recomputed.
    const planner = control.queue.planner;
    const [someKey] = planner.platformKeys();
    const afterBinhost: number[] = [];
    for (let i = 0; i < 3; i++) {
      planner.markHeld(`${someKey}|cat-0/landed${i}-1.0|`);
      afterBinhost.push((await timed(view)).ms);
    }

    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${VIEWER}`);
    const ctx = { signal: new AbortController().signal, metadata, peer: "bench" };
    const listNodes = async (): Promise<void> => {
      const { nodes } = await handlers.listNodes(create(ListNodesRequestSchema), ctx);
      if (nodes?.length !== NODES) throw new Error(`bench: ListNodes gave ${nodes?.length ?? 0} nodes`);
    };
    const base: number[] = [];
    for (let i = 0; i < ROUNDS; i++) base.push((await timed(listNodes)).ms);
    return [
      figure(
        "dashboard.first-view",
        median(warm.map((w) => w.ms)),
        "ms",
        median(base),
        `a logged-in viewer's GET /ui/ (fleet summary per platform + the node list's first page of 100, ${Math.round(bytes / 1024)} KiB of HTML) for ${NODES.toLocaleString("en")} nodes on ${PLATFORMS} platforms, median of ${ROUNDS} (CPU ${Math.round(median(warm.map((w) => w.cpuMs)))} ms, server and client in one process); first (cold) request ${Math.round(cold.ms)} ms; right after a build lands on one platform's binhost (its ${NODES / PLATFORMS} nodes' pre-flights recomputed) ${Math.round(median(afterBinhost))} ms, median of 3; the real DashboardServer over the coordinator's fleetControlHandlers, a real NodeRegistry and BuildPlanner (platform catalog stood in); baseline: the ListNodes handler call alone; goal < 1,000 ms`,
      ),
    ];
  } finally {
    await server.close();
  }
}
