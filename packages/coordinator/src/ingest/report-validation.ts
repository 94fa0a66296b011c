import { subjects } from "@binfleet/bus";
import { NODE_ID_PATTERN, ReportDecodeError, clip, decodeReport, platformFingerprint, tryParseCpv } from "@binfleet/shared";
import type { AgentReport } from "@binfleet/shared/wire";

export class ReportRejectedError extends Error {
  override readonly name = "ReportRejectedError";
  constructor(
    message: string,
    readonly reason: "too-large" | "malformed" | "bad-node-id" | "impersonation" | "no-platform" | "platform-mismatch" | "platform-changed" | "bad-package",
    readonly nodeId: string | null = null,
  ) {
    super(message);
  }
}

/** What platformFingerprint produces: `<arch>-<hash>`. */
const PLATFORM_KEY = /^[A-Za-z0-9_.-]{1,96}$/;
const FLAG = /^[A-Za-z0-9][A-Za-z0-9+_@-]*$/;

/**
 * Everything a report must satisfy before the coordinator believes it: size,
 * schema, a node id that is the sender's own subject (a node speaks only for
 * itself), a platform whose key its settings produce, and package names and flags that are what
 * Portage allows. Whether the node may be on that platform is the coordinator's question (pins).
 */
export function validateReport(subject: string, data: Uint8Array, maxBytes: number): AgentReport {
  if (data.length > maxBytes) throw new ReportRejectedError(`report of ${data.length} bytes exceeds ${maxBytes}`, "too-large");
  let r: AgentReport;
  try {
    // Gzipped as agents send it, or the plain encoding older agents sent.
    r = decodeReport(data, maxBytes);
  } catch (err) {
    if (!(err instanceof ReportDecodeError)) throw err;
    throw new ReportRejectedError(clip(err.message, 140), err.reason);
  }
  if (!NODE_ID_PATTERN.test(r.nodeId)) throw new ReportRejectedError(`invalid node id '${clip(r.nodeId, 64)}'`, "bad-node-id");
  if (subject !== subjects.report(r.nodeId)) throw new ReportRejectedError(`report for '${r.nodeId}' sent on ${clip(subject, 100)}`, "impersonation", r.nodeId);
  if (r.platform === undefined || r.platform.key === "") throw new ReportRejectedError("report has no platform", "no-platform", r.nodeId);
  if (!PLATFORM_KEY.test(r.platform.key)) throw new ReportRejectedError(`invalid platform key '${clip(r.platform.key, 80)}'`, "no-platform", r.nodeId);
  // The key is what the settings hash to: a report cannot file its packages under another platform's key.
  const computed = platformFingerprint(r.platform).key;
  if (computed !== r.platform.key) throw new ReportRejectedError(`platform key ${r.platform.key} is not that of the reported settings (${computed})`, "platform-mismatch", r.nodeId);
  for (const p of r.plan) {
    if (p.cpv !== "" && tryParseCpv(p.cpv) === null && !/^[^/\s]+\/[^/\s]+$/.test(p.cpv)) throw new ReportRejectedError(`invalid package '${clip(p.cpv, 80)}'`, "bad-package", r.nodeId);
    for (const f of p.use) if (!FLAG.test(f)) throw new ReportRejectedError(`invalid USE flag '${clip(f, 40)}'`, "bad-package", r.nodeId);
  }
  return r;
}
