import type { ProgramDoc } from "@binfleet/shared";

/** binfleet-agent as its --help and binfleet-agent(8) describe it. */
export const AGENT_DOC: ProgramDoc = {
  name: "binfleet-agent",
  section: 8,
  summary: "report a Gentoo node's packages and needs to binfleet, and carry out its signed commands",
  synopsis: ["run [--config /etc/binfleet/agent.json]", "report [--config FILE]", "enroll --bundle FILE [--config FILE]", "--version"],
  description:
    "The agent runs as root on every node of a binfleet fleet. It reports over NATS JetStream what the node has and needs: its platform (portageq envvar), repository snapshot, world set, installed packages with USE, and the pending `emerge -pvuDN --getbinpkg @world` plan; at start, on a schedule, after every emerge, when /var/db/pkg or the world file change, and when the coordinator asks. Reports made while the bus is down wait in an on-disk outbox.\n\nIt carries out the coordinator's commands (update, sync, report, trust keys), each verified first: an Ed25519 signature by a trusted coordinator key, this node's id, an expiry and an increasing sequence. Anything that does not verify is logged and runs nothing. Every Portage command is an argv built from validated atoms; one emerge at a time; progress goes back over the bus.\n\n`run` is the daemon. `report` prints the report this node would send, as JSON. `enroll` joins the fleet with a bundle from `binfleet enroll NODE`: it writes the agent's configuration, trusts the binhost's signing keys in /etc/portage/gnupg the way getuto does, and points binrepos.conf (and, when given, repos.conf and GENTOO_MIRRORS) at the binhost.",
  options: [
    { label: "--config FILE", help: "the agent's configuration (default /etc/binfleet/agent.json)" },
    { label: "--bundle FILE", help: "enroll: the bundle `binfleet enroll NODE --out FILE` wrote" },
    { label: "--help", help: "this help" },
    { label: "--version", help: "print the version" },
  ],
  files: [
    { path: "/etc/binfleet/agent.json", what: "configuration (unknown keys are refused)" },
    { path: "/var/lib/binfleet", what: "state: the report outbox, the commands seen, trusted keys" },
    { path: "/etc/portage/binrepos.conf", what: "the binhost, written by enroll (a file or a directory)" },
    { path: "/etc/portage/gnupg", what: "Portage's keyring for binary packages, as getuto sets it up" },
  ],
  environment: "BINFLEET_LOG_LEVEL sets the log level (default info). Logs are JSON lines on stderr.",
  exitStatus: "0 stopped on SIGTERM or SIGINT; 1 failed (a loop died, the bus is gone for good); 2 a bad configuration or usage. SIGHUP is logged and ignored: restart the agent to apply a new configuration.",
  seeAlso: ["binfleet(1)", "binfleet-coordinator(8)", "emerge(1)", "getuto(1)"],
};
