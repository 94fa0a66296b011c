export type { AgentState } from "./agent.js";
export { Agent } from "./agent.js";
export type { AgentConfig, AgentConfigInput } from "./agent-config.js";
export { AgentConfigSchema, agentConfig, loadAgentConfig } from "./agent-config.js";
export { PortageRunner, InvalidRequestError } from "./portage-runner.js";
export { ReportCollector, reportContentHash, enabledFlags } from "./report-collector.js";
export type { EnrollmentResult } from "./enrollment.js";
export { EnrollmentError, enroll, parseBundle } from "./enrollment.js";
export { AGENT_DOC } from "./program-doc.js";
