import { ApiError } from "@binfleet/api";
import * as z from "zod";
import type { FleetApi } from "./fleet-api.js";

/** What an action did, for the page (and, for a new rollout, its id). */
export interface ActionResult {
  readonly message: string;
  readonly rolloutId?: string;
}

const field = z.string().max(1024);
const count = (max: number) => z.coerce.number().int().min(0).max(max);

/** The form of each action; fields the form does not name are ignored. The API validates the values again, as for the CLI. */
const FORMS = {
  approve: z.object({ variant: z.string().regex(/^[0-9a-f]{8,40}$/, "a build id").optional(), all: z.literal("1").optional(), platform: field.default("") }),
  hold: z.object({ atom: field, platform: field.default(""), reason: z.string().max(500).default("held from the dashboard") }),
  "rollout-start": z.object({ platform: field.default(""), canary: count(10_000).default(0), maxInFlight: count(100_000).default(5) }),
  "rollout-control": z.object({ rollout: field, action: z.enum(["pause", "resume", "abort"]) }),
} as const;

export type ActionName = keyof typeof FORMS;

export const isAction = (name: string): name is ActionName => Object.hasOwn(FORMS, name);

function parse<T extends z.ZodType>(schema: T, form: URLSearchParams): z.output<T> {
  const r = schema.safeParse(Object.fromEntries(form));
  if (!r.success) throw new ApiError("invalid-argument", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return r.data;
}

/** Runs one dashboard action through the API as the session's caller (the API checks the role). */
export async function runAction(name: ActionName, form: URLSearchParams, api: FleetApi): Promise<ActionResult> {
  switch (name) {
    case "approve": {
      const f = parse(FORMS.approve, form);
      if (f.variant === undefined && f.all === undefined) throw new ApiError("invalid-argument", "name a build or all");
      const r = await api.call("approve", { variantIds: f.variant === undefined ? [] : [f.variant], all: f.all === "1", platformKey: f.platform });
      return { message: `approved ${r.approved.length} build${r.approved.length === 1 ? "" : "s"}` };
    }
    case "hold": {
      const f = parse(FORMS.hold, form);
      await api.call("hold", { atom: f.atom, platformKey: f.platform, reason: f.reason });
      return { message: `held ${f.atom}` };
    }
    case "rollout-start": {
      const f = parse(FORMS["rollout-start"], form);
      const { rollout } = await api.call("startRollout", { options: { platformKey: f.platform, canary: f.canary, maxInFlight: Math.max(1, f.maxInFlight), maxFailurePercent: 0, window: "", dryRun: false } });
      return { message: `rollout ${rollout?.id ?? ""} ${rollout?.state ?? ""}`, rolloutId: rollout?.id ?? "" };
    }
    case "rollout-control": {
      const f = parse(FORMS["rollout-control"], form);
      const { rollout } = await api.call("controlRollout", { rolloutId: f.rollout, action: f.action });
      return { message: `rollout ${rollout?.id ?? f.rollout} ${rollout?.state ?? ""}` };
    }
  }
}
