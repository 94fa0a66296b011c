import { createLogger, runDaemon } from "@binfleet/shared";
import { toJson } from "@bufbuild/protobuf";
import { AgentReportSchema } from "@binfleet/shared/wire";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./agent-config.js";
import { PortageRunner } from "./portage-runner.js";
import { ReportCollector } from "./report-collector.js";

const USAGE = `usage: binfleet-agent run [--config /etc/binfleet/agent.json]
       binfleet-agent report [--config FILE]   print the report this node would send, as JSON`;

function configPath(argv: readonly string[]): string {
  const i = argv.indexOf("--config");
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : "/etc/binfleet/agent.json";
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = createLogger({ name: "binfleet-agent" });
  if (cmd === "report") {
    return runDaemon("binfleet-agent", log, async () => {
      const config = await loadAgentConfig(configPath(rest));
      const report = await new ReportCollector(config, new PortageRunner(config)).collect();
      process.stdout.write(`${JSON.stringify(toJson(AgentReportSchema, report))}\n`);
      return null;
    });
  }
  if (cmd !== "run") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  return runDaemon("binfleet-agent", log, async () => {
    const config = await loadAgentConfig(configPath(rest));
    const agent = await Agent.create(config, log.child({ node: config.nodeId }));
    agent.start();
    return agent;
  });
}
