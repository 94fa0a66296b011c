import { NODE_ID_PATTERN, loadConfigFile, parseConfig } from "@binfleet/shared";
import * as z from "zod";

/** /etc/binfleet/agent.json, validated once into a fully defaulted config. */
export const AgentConfigSchema = z.object({
  /** This node's id: also its NATS subject token. */
  nodeId: z.string().regex(NODE_ID_PATTERN, "letters, digits, - and _ only (a NATS subject token)"),
  nats: z
    .object({
      urls: z.array(z.string().min(1)).min(1),
      user: z.string().optional(),
      pass: z.string().optional(),
      token: z.string().optional(),
      /** PEM file of the CA the bus's TLS certificate verifies against (from enrollment); set: TLS only. */
      ca: z.string().min(1).optional(),
    })
    .strict(),
  /** Coordinator public keys by key id (base64 SPKI DER Ed25519): several during a rotation. */
  coordinatorKeys: z.record(z.string().min(1), z.string().min(1)).refine((k) => Object.keys(k).length > 0, "at least one key"),
  /** The system the agent describes: "/" in production, a simulated root in tests. */
  root: z.string().default("/"),
  /** Where the agent keeps its outbox and command sequence (survives restarts). */
  stateDir: z.string().default("/var/lib/binfleet"),
  portage: z
    .object({
      /** argv prefix for emerge and portageq: ["/usr/bin/emerge"] in production. */
      emerge: z.array(z.string().min(1)).min(1).default(["/usr/bin/emerge"]),
      portageq: z.array(z.string().min(1)).min(1).default(["/usr/bin/portageq"]),
      /** Extra environment for Portage commands (e.g. BINFLEET_SIM_ROOT for portage-sim). */
      env: z.record(z.string(), z.string()).default({}),
      /** Main repository name, whose snapshot is reported. */
      repo: z.string().default("gentoo"),
    })
    .strict()
    .default({ emerge: ["/usr/bin/emerge"], portageq: ["/usr/bin/portageq"], env: {}, repo: "gentoo" }),
  reportIntervalSeconds: z.number().int().min(10).default(3600),
  heartbeatSeconds: z.number().int().min(1).default(30),
  /** How often to look for changes to /var/db/pkg and the world file. */
  watchSeconds: z.number().min(0.2).default(30),
  /** Reports larger than this are refused with an error instead of sent. */
  maxReportBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
  maxCommandBytes: z.number().int().min(256).default(64 * 1024),
});

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

export const loadAgentConfig = (file: string): Promise<AgentConfig> => loadConfigFile(AgentConfigSchema, file);
export const agentConfig = (value: AgentConfigInput): AgentConfig => parseConfig(AgentConfigSchema, value);
