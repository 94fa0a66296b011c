import type { Logger } from "@binfleet/shared";
import type { KV } from "@nats-io/kv";
import * as z from "zod";
import { readBucket } from "@binfleet/bus";

const ExposedPackageSchema = z.object({ installed: z.string(), fixed: z.string() });

const ExposureSchema = z.object({
  node: z.string(),
  glsa: z.string(),
  platformKey: z.string(),
  packages: z.array(ExposedPackageSchema),
  /** When the coordinator first found the node exposed (kept while it stays exposed, across restarts). */
  firstSeen: z.number(),
});
/** A node exposed to an advisory: its vulnerable versions, each with its least fixing upgrade. */
export type ExposureRecord = z.infer<typeof ExposureSchema>;

const NoticedSchema = z.object({ id: z.string(), revisionCount: z.number(), noticedAt: z.number(), reportedAt: z.number().default(0) });
/** An advisory (at a revision) the coordinator has read from the tree, when it first did, and when a nightly report first named it (0: not yet). */
export type NoticedAdvisory = z.infer<typeof NoticedSchema>;

const FixSchema = z.object({
  glsa: z.string(),
  by: z.string(),
  startedAt: z.number(),
  /** 0 while some node still reports a vulnerable version. */
  closedAt: z.number(),
  rolloutId: z.string(),
  /** The variants built for it (platform|cpv|use), each with its flags and the nodes that take it. */
  variants: z.array(z.object({ key: z.string(), platformKey: z.string(), cpv: z.string(), use: z.array(z.string()), disabled: z.array(z.string()), wantedBy: z.array(z.string()) })),
  /** Per exposed node: the atoms it updates and the variants it waits for. */
  nodes: z.record(z.string(), z.object({ atoms: z.array(z.string()), variants: z.array(z.string()) })),
});
/** `binfleet glsa fix`: what it builds and which nodes it updates with what. */
export type FixRecord = z.infer<typeof FixSchema>;

export interface StoredSecurity {
  readonly exposures: ExposureRecord[];
  readonly noticed: NoticedAdvisory[];
  readonly fixes: FixRecord[];
}

/**
 * The security state in the `binfleet-glsa` bucket (JetStream is the coordinator's only store):
 * `exposure.<node>.<glsa>`, `advisory.<glsa>` (noticed) and `fix.<glsa>`. Node ids and GLSA ids
 * are subject tokens, so they are keys as they are.
 */
export class GlsaStore {
  constructor(private readonly kv: KV) {}

  /** Everything stored; entries that do not validate are skipped with a log line. */
  async load(log: Logger): Promise<StoredSecurity> {
    const out: StoredSecurity = { exposures: [], noticed: [], fixes: [] };
    for (const [key, value] of await readBucket(this.kv, log)) {
      const [kind] = key.split(".");
      const parsed = kind === "exposure" ? ExposureSchema.safeParse(value) : kind === "advisory" ? NoticedSchema.safeParse(value) : kind === "fix" ? FixSchema.safeParse(value) : null;
      if (parsed === null || !parsed.success) {
        log.warn({ bucket: "glsa", key }, "bucket entry not understood: skipped");
        continue;
      }
      if (kind === "exposure") out.exposures.push(parsed.data as ExposureRecord);
      else if (kind === "advisory") out.noticed.push(parsed.data as NoticedAdvisory);
      else out.fixes.push(parsed.data as FixRecord);
    }
    return out;
  }

  async putExposure(r: ExposureRecord): Promise<void> {
    await this.kv.put(`exposure.${r.node}.${r.glsa}`, JSON.stringify(r));
  }

  async deleteExposure(node: string, glsa: string): Promise<void> {
    await this.kv.delete(`exposure.${node}.${glsa}`);
  }

  async putNoticed(n: NoticedAdvisory): Promise<void> {
    await this.kv.put(`advisory.${n.id}`, JSON.stringify(n));
  }

  async putFix(f: FixRecord): Promise<void> {
    await this.kv.put(`fix.${f.glsa}`, JSON.stringify(f));
  }
}
