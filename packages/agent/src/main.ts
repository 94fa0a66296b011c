import { ConfigError, createLogger } from "@binfleet/shared";
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

/** The process entry: the one place that handles signals. */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const log = createLogger({ name: "binfleet-agent" });
  try {
    if (cmd === "report") {
      const config = await loadAgentConfig(configPath(rest));
      const report = await new ReportCollector(config, new PortageRunner(config)).collect();
      process.stdout.write(`${JSON.stringify(toJson(AgentReportSchema, report))}\n`);
      return 0;
    }
    if (cmd !== "run") {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const config = await loadAgentConfig(configPath(rest));
    const agent = await Agent.create(config, log.child({ node: config.nodeId }));
    agent.start();
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, "shutting down");
        void agent.shutdown().then(resolve);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error({ file: err.file, key: err.key, detail: err.message }, "invalid configuration");
      process.stderr.write(`binfleet-agent: ${err.message}\n`);
      return 2;
    }
    log.fatal({ err }, "agent failed");
    return 1;
  }
}
