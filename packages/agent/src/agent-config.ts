import { NODE_ID_PATTERN, loadConfigFile, parseConfig } from "@binfleet/shared";
// zod/mini, not classic zod: the same validation, without the per-schema methods and compiled
// parsers whose construction kept megabytes resident in every idle agent (npm run bench -- --only agent.rss).
import * as z from "zod/mini";

/** /etc/binfleet/agent.json, validated once into a fully defaulted config. */
export const AgentConfigSchema = z.object({
  /** This node's id: also its NATS subject token. */
  nodeId: z.string().check(z.regex(NODE_ID_PATTERN, "letters, digits, - and _ only (a NATS subject token)")),
  nats: z.strictObject({
    urls: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    user: z.optional(z.string()),
    pass: z.optional(z.string()),
    token: z.optional(z.string()),
    /** PEM file of the CA the bus's TLS certificate verifies against (from enrollment); set: TLS only. */
    ca: z.optional(z.string().check(z.minLength(1))),
  }),
  /** Coordinator public keys by key id (base64 SPKI DER Ed25519): several during a rotation. */
  coordinatorKeys: z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1))).check(z.refine((k) => Object.keys(k).length > 0, "at least one key")),
  /** The system the agent describes: "/" in production, a simulated root in tests. */
  root: z._default(z.string(), "/"),
  /** Where the agent keeps its outbox and command sequence (survives restarts). */
  stateDir: z._default(z.string(), "/var/lib/binfleet"),
  portage: z._default(
    z.strictObject({
      /** argv prefix for emerge and portageq: ["/usr/bin/emerge"] in production. */
      emerge: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), ["/usr/bin/emerge"]),
      portageq: z._default(z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), ["/usr/bin/portageq"]),
      /** Extra environment for Portage commands (e.g. BINFLEET_SIM_ROOT for portage-sim). */
      env: z._default(z.record(z.string(), z.string()), {}),
      /** Main repository name, whose snapshot is reported. */
      repo: z._default(z.string(), "gentoo"),
    }),
    { emerge: ["/usr/bin/emerge"], portageq: ["/usr/bin/portageq"], env: {}, repo: "gentoo" },
  ),
  reportIntervalSeconds: z._default(z.number().check(z.int(), z.gte(10)), 3600),
  heartbeatSeconds: z._default(z.number().check(z.int(), z.gte(1)), 30),
  /** How often to look for changes to /var/db/pkg and the world file. */
  watchSeconds: z._default(z.number().check(z.gte(0.2)), 30),
  /** Reports larger than this are refused with an error instead of sent. */
  maxReportBytes: z._default(z.number().check(z.int(), z.gte(1024)), 4 * 1024 * 1024),
  maxCommandBytes: z._default(z.number().check(z.int(), z.gte(256)), 64 * 1024),
});

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

export const loadAgentConfig = (file: string): Promise<AgentConfig> => loadConfigFile(AgentConfigSchema, file);
export const agentConfig = (value: AgentConfigInput): AgentConfig => parseConfig(AgentConfigSchema, value);
