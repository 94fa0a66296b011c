import type { ApiTokens, Caller } from "@binfleet/api";
import type { BinhostService } from "../binhost/binhost-service.js";
import type { BinpkgKeyring } from "../binhost/binpkg-keyring.js";
import type { SnapshotMirror } from "../binhost/snapshot-mirror.js";
import type { PlatformCatalog } from "../builders/platform-catalog.js";
import type { PlatformCreation } from "../builders/platform-creation.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { Enrollment } from "../enrollment/enrollment.js";
import type { NodeFleet } from "../ingest/node-fleet.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import type { PendingUpdatesReport } from "../nightly/nightly-job.js";
import type { BuildBoard } from "../planning/build-board.js";
import type { BuildQueue } from "../planning/build-queue.js";
import type { Preflight, RolloutManager } from "../rollouts/rollout-manager.js";
import type { AdvisoryFixer } from "../security/advisory-fixer.js";
import type { ExposureTracker } from "../security/exposure-tracker.js";

/**
 * What the ops API (gRPC and the dashboard) may use of the coordinator: narrow views of its
 * services, wired by the composition root. The API depends on this, not on the Coordinator.
 */
export interface FleetControl {
  readonly config: Pick<CoordinatorConfig, "api" | "mirror">;
  readonly tokens: ApiTokens;
  readonly platforms: Pick<PlatformCatalog, "all" | "find" | "resolveKey" | "binhostUrl">;
  readonly fleet: Pick<NodeFleet, "registry" | "platformChange" | "forEachLatestReport" | "acceptPlatform">;
  readonly queue: Pick<BuildQueue, "plan" | "planner" | "policy" | "approve" | "hold" | "unhold">;
  readonly board: Pick<BuildBoard, "all" | "get" | "subscribe">;
  readonly rollouts: Pick<RolloutManager, "start" | "get" | "control" | "list">;
  readonly binhost: Pick<BinhostService, "rotateKey" | "collectGarbage">;
  readonly keyring: Pick<BinpkgKeyring, "get">;
  readonly commands: Pick<CommandSender, "signingKey">;
  readonly enrollment: Pick<Enrollment, "enrollNode" | "enrollBuilder" | "busUrls" | "busCaPem">;
  readonly platformCreation: Pick<PlatformCreation, "create">;
  readonly mirror: Pick<SnapshotMirror, "snapshotId" | "uri"> | null;
  readonly advisories: Pick<ExposureTracker, "advisories" | "exposure" | "refusedFiles">;
  readonly fixes: Pick<AdvisoryFixer, "fix" | "get" | "state" | "builds">;
  preflight(nodeId: string): Preflight;
  /** The nightly job now. */
  sync(platformKey: string, caller: Caller): Promise<PendingUpdatesReport>;
  rotateCommandKey(caller: Caller): Promise<{ keyId: string; previousKeyId: string; nodes: string[] }>;
  buildLog(buildId: string, follow: boolean, signal: AbortSignal): AsyncGenerator<string>;
  /** The GENTOO_MIRRORS entry for the builders' distfiles, or null when they are not served. */
  distfilesMirror(): string | null;
  /** Whether the coordinator is up (the API refuses nothing for it; health checks read it). */
  status(): string;
}
