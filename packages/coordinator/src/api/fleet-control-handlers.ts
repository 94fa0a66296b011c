import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, type CallContext, type Caller, type Handlers, type Role } from "@binfleet/api";
import { type Atom, type Logger, NODE_ID_PATTERN, clip, parseAtom } from "@binfleet/shared";
import { BuildState, type FleetControlService } from "@binfleet/shared/wire";
import { type BuildRecord, recordKey } from "../builders/builder-worker.js";
import { explainNode } from "../planning/explain.js";
import { UseDriftAnalyzer } from "../planning/use-drift.js";
import { advisoryHandlers } from "./advisory-handlers.js";
import type { FleetControl } from "./fleet-control.js";
import { MAX_ROWS, STATE_OF, recordSummary, rolloutMessage } from "./wire-messages.js";

/** A node id or builder name: part of a bus user, subject and inbox, so a NATS subject token. */
function nodeId(s: string, what = "node id"): string {
  if (!NODE_ID_PATTERN.test(s)) throw new ApiError("invalid-argument", `invalid ${what} '${clip(s, 64)}'`);
  return s;
}

/** Longer than any real atom: refused before it reaches a parser, a policy record or a log line. */
const MAX_ATOM = 1024;

function atomArg(s: string): Atom {
  if (s.length > MAX_ATOM) throw new ApiError("invalid-argument", `invalid atom '${clip(s, 200)}': longer than ${MAX_ATOM} characters`);
  try {
    return parseAtom(s);
  } catch (err) {
    throw new ApiError("invalid-argument", `invalid atom '${clip(s, 200)}': ${(err as Error).message}`);
  }
}

/** Yields the values pushed to it until the signal aborts. */
async function* pushed<T>(subscribe: (push: (v: T) => void) => () => void, signal: AbortSignal): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = subscribe((v) => {
    queue.push(v);
    wake?.();
  });
  try {
    while (!signal.aborted) {
      while (queue.length > 0) yield queue.shift()!;
      await new Promise<void>((r) => {
        wake = r;
        signal.addEventListener("abort", () => r(), { once: true });
      });
      wake = null;
    }
  } finally {
    unsubscribe();
  }
}

/** Request fields in the audit log: strings clipped, lists capped, so no request makes a huge log line. */
function auditFields(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? clip(v, 256) : Array.isArray(v) ? v.slice(0, 20).map((x) => (typeof x === "string" ? clip(x, 128) : x)) : v]),
  );
}

/**
 * FleetControl's handlers: what the `binfleet` CLI (over gRPC) and the dashboard call. Every call
 * needs a bearer token; reads need viewer, changes operator or admin; every change is logged with
 * who made it.
 */
export function fleetControlHandlers(c: FleetControl, log: Logger): Handlers<typeof FleetControlService> {
  const who = (ctx: CallContext, need: Role, method: string, args: Record<string, unknown> = {}): Caller => {
    const caller = c.tokens.authorize(ctx.metadata, need);
    if (need !== "viewer") log.info({ by: caller.name, role: caller.role, method, ...auditFields(args), peer: ctx.peer }, "api mutation");
    return caller;
  };
  /** A platform given by name or key, as its key ("" = all). */
  const platformKeyOf = (nameOrKey: string): string => c.platforms.resolveKey(nameOrKey, () => c.queue.planner.platformKeys());
  return {
    ...advisoryHandlers(c, who, platformKeyOf),

    async listNodes(req, ctx) {
      who(ctx, "viewer", "ListNodes");
      const pk = platformKeyOf(req.platformKey);
      const now = Date.now();
      return {
        nodes: c.fleet.registry
          .all()
          .filter((n) => (pk === "" || n.platformKey === pk) && (!req.staleOnly || c.fleet.registry.state(n, now) === "stale"))
          .map((n) => {
            const pf = c.preflight(n.nodeId);
            return {
              nodeId: n.nodeId,
              platformKey: n.platformKey,
              platformName: c.platforms.find(n.platformKey)?.name ?? "",
              snapshotId: n.snapshotId,
              lastReportUnixMs: BigInt(n.reportedAt),
              lastHeartbeatUnixMs: BigInt(n.heartbeatAt),
              pendingBinary: pf.binaryCount,
              pendingCompile: pf.compileCount,
              state: c.fleet.platformChange(n.nodeId) === undefined ? c.fleet.registry.state(n, now) : "platform-changed",
              changedPlatformKey: c.fleet.platformChange(n.nodeId) ?? "",
            };
          }),
      };
    },

    async listPlatforms(_req, ctx) {
      who(ctx, "viewer", "ListPlatforms");
      const keys = new Set([...c.platforms.all().map((p) => p.key), ...c.fleet.registry.all().map((n) => n.platformKey)]);
      return {
        platforms: [...keys].sort().map((key) => {
          const p = c.platforms.find(key);
          const nodes = c.fleet.registry.all().filter((n) => n.platformKey === key);
          const plan = c.queue.plan(key);
          const running = plan.filter((e) => e.state === "running").length;
          const queued = plan.filter((e) => e.state === "queued").length;
          return {
            key,
            name: p?.name ?? "",
            nodeCount: nodes.length,
            binhostUrl: p === null ? "" : c.platforms.binhostUrl(p.name),
            builderState: p === null ? "no builder" : running > 0 ? `building (${running} running, ${queued} queued)` : queued > 0 ? `${queued} queued` : "idle",
            ...(nodes[0]?.platform === undefined ? {} : { platform: nodes[0].platform }),
          };
        }),
      };
    },

    async getPlan(req, ctx) {
      who(ctx, "viewer", "GetPlan");
      const pk = platformKeyOf(req.platformKey);
      const keys = pk === "" ? [...new Set([...c.platforms.all().map((p) => p.key), ...c.queue.planner.platformKeys()])].sort() : [pk];
      const items = keys.flatMap((k) => c.queue.plan(k)).map((e) => ({
        variantId: e.id,
        platformKey: e.item.variant.platformKey,
        cpv: e.item.variant.cpv,
        use: [...e.item.variant.use],
        wantedByCount: e.item.wantedBy.length,
        wantedBy: e.item.wantedBy.slice(0, 50),
        state: STATE_OF[e.state],
      }));
      const localCompiles: { nodeId: string; cpv: string; reason: string }[] = [];
      const nodes = c.fleet.registry.all().filter((n) => pk === "" || n.platformKey === pk);
      for (const n of nodes) {
        const builder = c.platforms.find(n.platformKey) !== null;
        for (const p of n.pending) {
          if (p.binary || localCompiles.length >= MAX_ROWS) continue;
          const hold = builder ? c.queue.policy.holdFor(n.platformKey, p.cpv) : null;
          if (!builder) localCompiles.push({ nodeId: n.nodeId, cpv: p.cpv, reason: "no builder for the node's platform" });
          else if (hold !== null) localCompiles.push({ nodeId: n.nodeId, cpv: p.cpv, reason: `held (${hold.atom}${hold.reason === "" ? "" : `: ${hold.reason}`})` });
        }
      }
      return { items, localCompiles, nodes: nodes.length };
    },

    async approve(req, ctx) {
      const caller = who(ctx, "operator", "Approve", { variants: req.variantIds.slice(0, 50), all: req.all, platform: req.platformKey });
      return { approved: await c.queue.approve(req.variantIds, req.all, platformKeyOf(req.platformKey), caller) };
    },

    async hold(req, ctx) {
      const caller = who(ctx, "operator", "Hold", { atom: req.atom, platform: req.platformKey });
      atomArg(req.atom);
      await c.queue.hold(req.atom, platformKeyOf(req.platformKey), req.reason.slice(0, 500), caller);
      return {};
    },

    async unhold(req, ctx) {
      const caller = who(ctx, "operator", "Unhold", { atom: req.atom, platform: req.platformKey });
      atomArg(req.atom);
      await c.queue.unhold(req.atom, platformKeyOf(req.platformKey), caller);
      return {};
    },

    async listBuilds(req, ctx) {
      who(ctx, "viewer", "ListBuilds");
      const pk = platformKeyOf(req.platformKey);
      const want = new Set(req.states);
      const recorded = c.board.all().filter((r) => pk === "" || r.key.startsWith(`${pk}|`));
      const seen = new Set(recorded.map((r) => r.key));
      const keys = pk === "" ? c.queue.planner.platformKeys() : [pk];
      const waiting = keys
        .flatMap((k) => c.queue.plan(k))
        .filter((e) => !seen.has(e.item.key))
        .map((e) => ({ job: { id: e.id, platformKey: e.item.variant.platformKey, cpv: e.item.variant.cpv, use: [...e.item.variant.use], wantedBy: e.item.wantedBy.slice(0, 50) }, result: { jobId: e.id, state: STATE_OF[e.state] } }));
      const builds = [...recorded.map(recordSummary), ...waiting].filter((b) => want.size === 0 || want.has(b.result?.state ?? BuildState.UNSPECIFIED));
      return { builds: builds.slice(-MAX_ROWS) };
    },

    async *watchBuilds(req, ctx) {
      who(ctx, "viewer", "WatchBuilds");
      const pk = platformKeyOf(req.platformKey);
      for await (const r of pushed<BuildRecord>((push) => c.board.subscribe(push), ctx.signal)) {
        if (pk === "" || r.key.startsWith(`${pk}|`)) yield { build: recordSummary(r) };
      }
    },

    async *streamBuildLog(req, ctx) {
      who(ctx, "viewer", "StreamBuildLog");
      if (!/^[0-9a-f]{8,40}$/.test(req.jobId)) throw new ApiError("invalid-argument", "a build id is 8 to 40 hex digits (see binfleet builds)");
      const matches = c.board.all().filter((r) => recordKey(r.key).startsWith(req.jobId));
      if (matches.length === 0) throw new ApiError("not-found", `no build ${req.jobId}`);
      if (matches.length > 1) throw new ApiError("invalid-argument", `build id prefix ${req.jobId} is ambiguous`);
      for await (const text of c.buildLog(recordKey(matches[0]!.key), req.follow, ctx.signal)) yield { lines: text.replace(/\n$/, "").split("\n") };
    },

    async sync(req, ctx) {
      const caller = who(ctx, "operator", "Sync", { platform: req.platformKey });
      const r = await c.sync(platformKeyOf(req.platformKey), caller);
      return {
        nodesAsked: r.nodesAsked.length,
        failedPlatforms: [...r.buildersNotSynced],
        nodesNotReported: [...r.nodesNotReported],
        pendingVariants: r.platforms.reduce((n, p) => n + p.buildList, 0),
        waitingApproval: r.platforms.reduce((n, p) => n + p.waitingApproval, 0),
        fetchFailedPlatforms: r.platforms.filter((p) => p.fetchFailed).map((p) => p.name),
        snapshotId: c.mirror?.snapshotId ?? "",
        newAdvisories: r.advisories.map((a) => a.id),
      };
    },

    async startRollout(req, ctx) {
      const o = req.options;
      const dryRun = o?.dryRun ?? false;
      who(ctx, dryRun ? "viewer" : "operator", "StartRollout", { platform: o?.platformKey ?? "", canary: o?.canary ?? 0, dryRun });
      const options = {
        platformKey: platformKeyOf(o?.platformKey ?? ""),
        canary: Math.max(0, o?.canary ?? 0),
        maxInFlight: o?.maxInFlight || 5,
        maxFailurePercent: o?.maxFailurePercent ?? 0,
        window: o?.window ?? "",
      };
      return { rollout: rolloutMessage(await c.rollouts.start(options, dryRun)) };
    },

    async getRollout(req, ctx) {
      who(ctx, "viewer", "GetRollout");
      return { rollout: rolloutMessage(c.rollouts.get(req.rolloutId)) };
    },

    async controlRollout(req, ctx) {
      who(ctx, "operator", "ControlRollout", { rollout: req.rolloutId, action: req.action });
      if (req.action !== "pause" && req.action !== "resume" && req.action !== "abort") throw new ApiError("invalid-argument", "action is pause, resume or abort");
      return { rollout: rolloutMessage(await c.rollouts.control(req.rolloutId, req.action)) };
    },

    async *watchRollout(req, ctx) {
      who(ctx, "viewer", "WatchRollout");
      let last = -1;
      for (;;) {
        const r = c.rollouts.get(req.rolloutId);
        if (r.updatedAt !== last) {
          last = r.updatedAt;
          yield { rollout: rolloutMessage(r) };
        }
        if (r.state === "done" || r.state === "aborted" || r.state === "halted") return;
        await sleep(500, undefined, { signal: ctx.signal }).catch(() => undefined);
        if (ctx.signal.aborted) return;
      }
    },

    async listRollouts(req, ctx) {
      who(ctx, "viewer", "ListRollouts");
      const limit = req.limit > 0 ? Math.min(req.limit, 1000) : 50;
      return { rollouts: c.rollouts.list().slice(-limit).reverse().map((r) => rolloutMessage(r, false)) };
    },

    async explain(req, ctx) {
      who(ctx, "viewer", "Explain");
      const n = c.fleet.registry.get(nodeId(req.nodeId));
      if (n === undefined) throw new ApiError("not-found", `unknown node ${req.nodeId}: it has not sent an accepted report`);
      // The platform's plan once, not once per pending package.
      const plan = new Map(c.queue.plan(n.platformKey).map((e) => [e.item.key, e]));
      const explanations = explainNode(
        n,
        {
          hasBuilder: (key) => c.platforms.find(key) !== null,
          holdFor: (key, cpv) => c.queue.policy.holdFor(key, cpv),
          binhostUses: (key, cpv) => c.queue.planner.heldUses(key, cpv),
          buildStatus: (key) => {
            const e = plan.get(key);
            const r = c.board.get(key);
            if (e?.state === "failed" || r?.state === "failed") return `failed (${r?.error ?? "see binfleet builds"})`;
            return e === undefined ? "not planned" : e.state === "waiting-approval" ? "waiting for approval (binfleet approve)" : e.state;
          },
          builderSnapshot: () => c.mirror?.snapshotId ?? "",
        },
        req.atom === "" ? null : atomArg(req.atom),
      );
      return { explanations: explanations.map((e) => ({ ...e, differingFlags: [...e.differingFlags] })), nodeId: n.nodeId, platformKey: n.platformKey };
    },

    async drift(req, ctx) {
      who(ctx, "viewer", "Drift");
      const pk = platformKeyOf(req.platformKey);
      const analyzer = new UseDriftAnalyzer();
      await c.fleet.forEachLatestReport((r) => {
        if (pk === "" || r.platform?.key === pk) analyzer.add(r.nodeId, r.installed);
      });
      return { entries: analyzer.result().slice(0, MAX_ROWS).map((e) => ({ ...e, flags: [...e.flags] })) };
    },

    async createPlatform(req, ctx) {
      const caller = who(ctx, "admin", "CreatePlatform", { platform: req.name, node: req.fromNode });
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(req.name) || req.name.startsWith(".")) throw new ApiError("invalid-argument", `invalid platform name '${req.name.slice(0, 64)}'`);
      const { platform, nodes } = await c.platformCreation.create(req.name, nodeId(req.fromNode), caller);
      return { name: platform.name, key: platform.key, root: platform.root, binhostUrl: c.platforms.binhostUrl(platform.name), nodesTold: nodes };
    },

    async enrollBuilder(req, ctx) {
      const caller = who(ctx, "admin", "EnrollBuilder", { builder: req.name });
      const name = nodeId(req.name, "builder name");
      const credentials = await c.enrollment.enrollBuilder(name, caller);
      const urls = [...c.enrollment.busUrls];
      return { name, natsUrls: urls, natsUser: credentials.user, natsPassword: credentials.pass, natsCaPem: await c.enrollment.busCaPem() };
    },

    async enrollNode(req, ctx) {
      const caller = who(ctx, "admin", "EnrollNode", { node: req.nodeId });
      const node = nodeId(req.nodeId);
      const credentials = await c.enrollment.enrollNode(node, caller);
      const urls = [...c.enrollment.busUrls];
      return {
        nodeId: node,
        natsUrls: urls,
        natsUser: credentials.user,
        natsPassword: credentials.pass,
        repoSyncUri: c.mirror?.uri ?? "",
        repo: c.config.mirror.repo,
        distfilesMirror: c.distfilesMirror() ?? "",
        natsCaPem: await c.enrollment.busCaPem(),
        coordinatorKeys: { [c.commands.signingKey.keyId]: c.commands.signingKey.publicKeyBase64 },
        platforms: c.platforms.all().map((p) => {
          const keys = c.keyring.get(p.name);
          const current = keys?.trusted.find((k) => k.fingerprint === keys.current);
          return {
            key: p.key,
            name: p.name,
            binhostUrl: c.platforms.binhostUrl(p.name),
            binpkgPublicKey: current?.publicKey ?? "",
            binpkgFingerprint: current?.fingerprint ?? "",
            binpkgKeys: keys?.trusted ?? [],
          };
        }),
      };
    },

    async rotateCommandKey(_req, ctx) {
      const caller = who(ctx, "admin", "RotateCommandKey");
      const r = await c.rotateCommandKey(caller);
      return { keyId: r.keyId, previousKeyId: r.previousKeyId, nodesTold: r.nodes.slice(0, MAX_ROWS) };
    },

    async acceptPlatform(req, ctx) {
      const caller = who(ctx, "admin", "AcceptPlatform", { node: req.nodeId });
      const node = nodeId(req.nodeId);
      const r = await c.fleet.acceptPlatform(node, caller);
      return { nodeId: node, platformKey: r.platformKey, previousPlatformKey: r.previous };
    },

    async rotateBinpkgKey(req, ctx) {
      const caller = who(ctx, "admin", "RotateBinpkgKey", { platform: req.platformKey });
      const r = await c.binhost.rotateKey(req.platformKey, caller);
      return { fingerprint: r.fingerprint, previousFingerprint: r.previous, nodesTold: r.nodes.slice(0, MAX_ROWS), resigned: r.resigned, failed: r.failed.slice(0, MAX_ROWS), previousRetired: r.retired };
    },

    async collectGarbage(req, ctx) {
      const caller = who(ctx, req.dryRun ? "viewer" : "admin", "CollectGarbage", { platform: req.platformKey, dryRun: req.dryRun, keep: req.keepVersions });
      const r = await c.binhost.collectGarbage(platformKeyOf(req.platformKey), req.dryRun, req.keepVersions > 0 ? req.keepVersions : 1, caller);
      return { removed: r.removed.slice(0, MAX_ROWS), freedBytes: BigInt(r.freedBytes) };
    },
  };
}
