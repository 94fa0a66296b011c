import { createLogger, runDaemon } from "@binfleet/daemon";
import { toJson } from "@bufbuild/protobuf";
import { BINFLEET_VERSION, renderUsage } from "@binfleet/shared";
import { AgentReportSchema } from "@binfleet/shared/wire";
import { readFile } from "node:fs/promises";
import { Agent } from "./agent.js";
import { AGENT_DOC } from "./program-doc.js";
import { EnrollmentError, enroll } from "./enrollment.js";
import { loadAgentConfig } from "./agent-config.js";
import { PortageRunner } from "./portage-runner.js";
import { ReportCollector } from "./report-collector.js";

const AGENT_USAGE = renderUsage(AGENT_DOC);

function configPath(argv: readonly string[]): string {
  const i = argv.indexOf("--config");
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : "/etc/binfleet/agent.json";
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === "--version") {
    process.stdout.write(`binfleet-agent ${BINFLEET_VERSION}\n`);
    return 0;
  }
  if (cmd === "--help" || cmd === "-h" || cmd === "help" || rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(AGENT_USAGE);
    return 0;
  }
  const log = createLogger({ name: "binfleet-agent" });
  if (cmd === "report") {
    return runDaemon("binfleet-agent", log, async () => {
      const config = await loadAgentConfig(configPath(rest));
      const report = await new ReportCollector(config, new PortageRunner(config)).collect();
      process.stdout.write(`${JSON.stringify(toJson(AgentReportSchema, report))}\n`);
      return null;
    });
  }
  if (cmd === "enroll") {
    const i = rest.indexOf("--bundle");
    const bundle = i >= 0 ? rest[i + 1] : undefined;
    if (bundle === undefined) {
      process.stderr.write(AGENT_USAGE);
      return 2;
    }
    try {
      const r = await enroll(await readFile(bundle, "utf8"), configPath(rest));
      process.stdout.write(`>>> ${r.config.nodeId} enrolled: ${configPath(rest)} written (platform ${r.platformKey})\n`);
      process.stdout.write(r.binreposFile === null ? " * no builder serves this platform: the node keeps compiling (binfleet explain says why)\n" : `>>> ${r.binreposFile}: sync-uri = ${r.binhostUrl}; its binpkg key is trusted in /etc/portage/gnupg\n`);
      if (r.makeConfFile !== null) process.stdout.write(`>>> ${r.makeConfFile}: GENTOO_MIRRORS starts with the binhost's distfiles\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`binfleet-agent: error: ${(err as Error).message}\n`);
      return err instanceof EnrollmentError ? 2 : 1;
    }
  }
  if (cmd !== "run") {
    process.stderr.write(AGENT_USAGE);
    return 2;
  }
  return runDaemon("binfleet-agent", log, async () => {
    const config = await loadAgentConfig(configPath(rest));
    const agent = await Agent.create(config, log.child({ node: config.nodeId }));
    agent.start();
    return agent;
  });
}
