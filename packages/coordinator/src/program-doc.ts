import type { ProgramDoc } from "@binfleet/shared";

/** binfleet-coordinator as its --help and binfleet-coordinator(8) describe it. */
export const COORDINATOR_DOC: ProgramDoc = {
  name: "binfleet-coordinator",
  section: 8,
  summary: "build every binary package a Gentoo fleet needs once, sign it, serve it, and tell nodes to emerge -g",
  synopsis: ["run [--config /etc/binfleet/coordinator.json]", "builder [--config FILE]", "bus-authorization [--builder NAME]… [--node NODE]…", "--version"],
  description:
    "The coordinator runs on the binhost. It takes in every node's reports over NATS JetStream (starting an embedded nats-server when no cluster is configured), groups nodes by binary-compatible platform, turns their needs into one deduplicated build list per platform (each cpv and USE variant once, minus what $PKGDIR/Packages holds), waits for approval where policy says, builds through Portage inside each platform's builder root (bubblewrap: the root is the build's /, so the binhost's own system is never touched), signs the binaries, serves the binhosts over HTTP, and tells nodes to `emerge -g`, at once or in staged rollouts. Operators drive it with binfleet(1) over its gRPC API, or in a browser on its dashboard (/ui/ on the port of `dashboard` in the configuration, with the same tokens).\n\n`run` is the coordinator. `builder` runs only builder workers (on a build host, or more beside the coordinator), taking jobs from the same queues. `bus-authorization` prints the nats-server `authorization` block for an external cluster: the coordinator, the named builders and nodes, each with binfleet's permissions and a fresh password.",
  options: [
    { label: "--config FILE", help: "the configuration (default /etc/binfleet/coordinator.json)" },
    { label: "--builder NAME", help: "bus-authorization: a builder process's user (repeatable)" },
    { label: "--node NODE", help: "bus-authorization: a node's user (repeatable)" },
    { label: "--help", help: "this help" },
    { label: "--version", help: "print the version" },
  ],
  files: [
    { path: "/etc/binfleet/coordinator.json", what: "configuration (unknown keys are refused); a builder process reads the same schema" },
    { path: "/var/lib/binfleet", what: "state: the embedded broker's store, signing keys, the admin token, builder roots made by `binfleet platforms create`" },
  ],
  environment: "BINFLEET_LOG_LEVEL sets the log level (default info). Logs are JSON lines on stderr.",
  exitStatus: "0 stopped on SIGTERM or SIGINT; 1 failed (a loop died, the embedded nats-server or the bus is gone); 2 a bad configuration or usage. On SIGHUP `run` reads its configuration file again: API tokens, the nightly schedule and webhook apply at once and the access log is reopened; other changed settings are logged as needing a restart, and a file that does not load changes nothing. A `builder` process ignores SIGHUP: restart it.",
  seeAlso: ["binfleet(1)", "binfleet-agent(8)", "bwrap(1)", "nats-server(8)"],
};
