import type { MessageInitShape } from "@bufbuild/protobuf";
import { ApiError, type CallContext, type Caller, type Handlers, type Role } from "@binfleet/api";
import { clip } from "@binfleet/shared";
import type { AdvisoryFixSchema, AdvisorySummarySchema, FleetControlService } from "@binfleet/shared/wire";
import { recordKey } from "../builders/builder-worker.js";
import type { AdvisoryExposure } from "../security/exposure-tracker.js";
import type { FixRecord } from "../security/glsa-store.js";
import type { FleetControl } from "./fleet-control.js";
import { MAX_ROWS, STATE_OF, rolloutMessage } from "./wire-messages.js";

/** Checks the caller's token for the role (and logs a change with who made it). */
export type Authorize = (ctx: CallContext, need: Role, method: string, args?: Record<string, unknown>) => Caller;

/** An advisory id as Gentoo writes it, "202611-01"; "GLSA-202611-01" is taken too. */
function advisoryId(s: string): string {
  const id = s.replace(/^glsa-/i, "");
  if (!/^\d{6}-\d{2,6}$/.test(id)) throw new ApiError("invalid-argument", `invalid advisory id '${clip(s, 64)}': expected YYYYMM-NN, e.g. 202611-01`);
  return id;
}

/** The security advisories part of FleetControl: `binfleet glsa`, `glsa show ID`, `glsa fix ID`. */
export function advisoryHandlers(c: FleetControl, who: Authorize, platformKeyOf: (nameOrKey: string) => string): Pick<Handlers<typeof FleetControlService>, "listAdvisories" | "getAdvisory" | "fixAdvisory"> {
  const fixMessage = (f: FixRecord | undefined): MessageInitShape<typeof AdvisoryFixSchema> | undefined =>
    f === undefined
      ? undefined
      : {
          state: c.fixes.state(f),
          rolloutId: f.rolloutId,
          by: f.by,
          startedAtUnixMs: BigInt(f.startedAt),
          closedAtUnixMs: BigInt(f.closedAt),
          builds: c.fixes.builds(f).map((b) => ({
            job: { id: recordKey(b.key), platformKey: b.variant.platformKey, cpv: b.variant.cpv, use: b.variant.use, useDisabled: b.variant.disabled, useComplete: true, wantedBy: b.variant.wantedBy.slice(0, 50) },
            result: { jobId: recordKey(b.key), state: STATE_OF[b.state] },
          })),
          nodes: Object.keys(f.nodes).sort(),
        };
  const summary = (a: AdvisoryExposure): MessageInitShape<typeof AdvisorySummarySchema> => ({
    id: a.advisory.id,
    title: a.advisory.title,
    synopsis: a.advisory.synopsis,
    severity: a.advisory.severity,
    announced: a.advisory.announced,
    revised: a.advisory.revised,
    revisionCount: a.advisory.revisionCount,
    packages: [...new Set(a.advisory.packages.map((p) => p.name))],
    nodesExposed: a.exposures.length,
    platformKeys: [...new Set(a.exposures.map((e) => e.platformKey))].sort(),
    oldestExposureUnixMs: BigInt(a.exposures.reduce((min, e) => (min === 0 || e.firstSeen < min ? e.firstSeen : min), 0)),
    fix: fixMessage(c.fixes.get(a.advisory.id)),
    noticedAtUnixMs: BigInt(a.noticedAt),
  });
  const find = (id: string): AdvisoryExposure => {
    const a = c.advisories.exposure(id);
    if (a === undefined) throw new ApiError("not-found", `no advisory ${id} in the builders' tree`);
    return a;
  };
  return {
    async listAdvisories(req, ctx) {
      who(ctx, "viewer", "ListAdvisories");
      const pk = platformKeyOf(req.platformKey);
      const all = c.advisories.advisories();
      const shown = all.map((a) => (pk === "" ? a : { ...a, exposures: a.exposures.filter((e) => e.platformKey === pk) })).filter((a) => req.all || a.exposures.length > 0);
      return { advisories: shown.slice(0, MAX_ROWS).map(summary), refused: c.advisories.refusedFiles().slice(0, MAX_ROWS).map((r) => ({ ...r })), advisoriesRead: all.length };
    },

    async getAdvisory(req, ctx) {
      who(ctx, "viewer", "GetAdvisory");
      const a = find(advisoryId(req.id));
      return {
        advisory: summary(a),
        exposures: a.exposures.slice(0, MAX_ROWS).flatMap((e) => e.packages.map((p) => ({ nodeId: e.node, platformKey: e.platformKey, installedCpv: p.installed, fixedCpv: p.fixed, firstSeenUnixMs: BigInt(e.firstSeen) }))),
      };
    },

    async fixAdvisory(req, ctx) {
      const id = advisoryId(req.id);
      const caller = who(ctx, "operator", "FixAdvisory", { glsa: id, canary: req.canary, maxInFlight: req.maxInFlight });
      const r = await c.fixes.fix(id, { canary: req.canary > 0 ? req.canary : 1, maxInFlight: req.maxInFlight > 0 ? req.maxInFlight : 5, maxFailurePercent: Math.max(0, req.maxFailurePercent) }, caller);
      return { fix: fixMessage(r.fix), rollout: rolloutMessage(r.rollout), unfixableNodes: [...r.unfixable] };
    },
  };
}
