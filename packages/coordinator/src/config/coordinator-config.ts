import { loadConfigFile, parseConfig } from "@binfleet/shared";
import * as z from "zod";
import { DEFAULT_CACHE_MIB } from "../binhost/served-file-cache.js";
import { WebhookConfigSchema } from "../nightly/nightly-webhook.js";

const argv = z.array(z.string().min(1)).min(1);

/** A platform the coordinator serves and builds: from the config file, or made by `binfleet platforms create`. */
export const PlatformConfigSchema = z.object({
  /** URL path segment of the platform's binhost: /binhost/<name>. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  /** The platform key nodes report (platformFingerprint). */
  key: z.string().min(1),
  /**
   * The builder root: a stage3 of the platform (its profile, CHOST, CFLAGS in its make.conf), which
   * builds run in as `/` (portage.isolation). With portage-sim, the simulated root.
   */
  root: z.string().min(1),
  /**
   * Host directories bound into the root for its builds, e.g. the repository snapshot or a
   * DISTDIR several roots share: `{ "host": "/var/db/repos/gentoo", "inside": "/var/db/repos/gentoo" }`.
   */
  binds: z
    .array(z.object({ host: z.string().startsWith("/"), inside: z.string().startsWith("/"), readOnly: z.boolean().default(false) }))
    .default([]),
  /** PKGDIR inside the root. */
  pkgdir: z.string().default("/var/cache/binpkgs"),
  /** DISTDIR inside the root. */
  distdir: z.string().default("/var/cache/distfiles"),
  /** 0: this process does not build the platform (a builder process elsewhere does). */
  workers: z.number().int().min(0).default(1),
  /**
   * More builder roots for the platform: copies of `root` whose PKGDIR is root's PKGDIR (a
   * symlink, or the same mount). Each root builds one package at a time.
   */
  extraRoots: z.array(z.string().min(1)).default([]),
  auth: z.object({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
  /** Overrides policy.requireApproval for this platform. */
  requireApproval: z.boolean().optional(),
});

export const CoordinatorConfigSchema = z.object({
  /** Everything the coordinator keeps: signing keys, the embedded broker's store, builder state. */
  stateDir: z.string().min(1),
  nats: z
    .object({
      /** Cluster URLs; empty: start an embedded nats-server (JetStream, loopback) under stateDir. */
      urls: z.array(z.string().min(1)).default([]),
      /** Client port of the embedded server (0: pick one). */
      embeddedPort: z.number().int().min(0).max(65535).default(4222),
      /** The coordinator's user on an external cluster (the embedded server makes its own). */
      user: z.string().regex(/^[^\s.*>]+$/, "a user name without spaces, '.', '*' or '>' (its connection's inbox is _INBOX_<user>)").optional(),
      pass: z.string().min(1).optional(),
      /** URL nodes use to reach the bus (default: the embedded server's loopback URL). */
      publicUrl: z.string().min(1).optional(),
      /**
       * Copies JetStream keeps of every stream and bucket: 3 on a 3-server cluster, so a server lost
       * loses no report, build or rollout; 1 on the embedded server.
       */
      replicas: z.number().int().min(1).max(5).default(1),
      /** PEM certificate and key: the embedded server accepts TLS connections only. */
      tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      /**
       * PEM file of the CA that signed the bus's certificate (default with `tls`: the certificate
       * itself). Given to nodes at enrollment; with it, every bus connection is TLS and verified.
       */
      ca: z.string().min(1).optional(),
    })
    .default({ urls: [], embeddedPort: 4222, replicas: 1 }),
  http: z
    .object({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8080),
      /** URL nodes use to reach the binhost (default: http://host:port). */
      publicUrl: z.string().url().optional(),
      /** PEM certificate and key: serve the binhost over HTTPS. */
      tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      /**
       * Serve the builders' DISTDIRs (filled by the nightly `emerge --fetchonly`) under /distfiles/, a
       * GENTOO_MIRRORS entry enrollment gives nodes: what they still compile downloads from the LAN.
       */
      distfiles: z.boolean().default(true),
      /**
       * A file the binhost appends one common-log-format line per request to (SIGHUP reopens it,
       * for logrotate), or "-": standard output, which systemd gives to the journal.
       */
      accessLog: z.union([z.literal("-"), z.string().startsWith("/")]).optional(),
      /**
       * Memory, in MiB, for the content of recently served package files: each is then read from
       * disk once, not once per node that fetches it (a file over an eighth of this, or over
       * 32 MiB, is always streamed from disk). 0: every file streamed from disk.
       */
      cacheMiB: z.number().int().min(0).max(1024 * 1024).default(DEFAULT_CACHE_MIB),
    })
    .default({ host: "127.0.0.1", port: 8080, distfiles: true, cacheMiB: DEFAULT_CACHE_MIB }),
  platforms: z.array(PlatformConfigSchema).default([]),
  portage: z
    .object({
      emerge: argv.default(["/usr/bin/emerge"]),
      portageq: argv.default(["/usr/bin/portageq"]),
      /** Signs an existing gpkg again (binpkg key rotation). */
      gpkgSign: argv.default(["/usr/bin/gpkg-sign"]),
      /** `emaint binhost --fix` re-indexes the packages gpkg-sign rewrote. */
      emaint: argv.default(["/usr/sbin/emaint"]),
      /** Environment of every Portage command in a builder root (PATH defaults to the root's standard one). */
      env: z.record(z.string(), z.string()).default({}),
      /**
       * How builds are kept off the binhost's live system. "bwrap": each Portage command runs
       * inside its builder root as `/` (bubblewrap: own mount, PID, IPC and UTS namespaces, /dev,
       * /proc and the platform's binds), so a build merges into the root, with the root's
       * toolchain. "none": the tools run on the host with `rootVariable` naming the root — only
       * for portage-sim, which resolves every path inside that root itself; real Portage would
       * merge into the host's `/`.
       */
      isolation: z.enum(["bwrap", "none"]).default("bwrap"),
      bwrap: argv.default(["/usr/bin/bwrap"]),
      /** With isolation "none": the environment variable that names the root. */
      rootVariable: z.string().default("BINFLEET_SIM_ROOT"),
    })
    .default({ emerge: ["/usr/bin/emerge"], portageq: ["/usr/bin/portageq"], gpkgSign: ["/usr/bin/gpkg-sign"], emaint: ["/usr/sbin/emaint"], env: {}, isolation: "bwrap", bwrap: ["/usr/bin/bwrap"], rootVariable: "BINFLEET_SIM_ROOT" }),
  policy: z
    .object({
      /** Atoms never built: nodes keep compiling those, and the plan says so. */
      hold: z.array(z.string()).default([]),
      maxBuildAttempts: z.number().int().min(1).default(2),
      /** Builds wait for `binfleet approve` (the seed audits every build), except those matching autoApprove. */
      requireApproval: z.boolean().default(false),
      autoApprove: z.array(z.string()).default([]),
      /**
       * How nodes learn that their binaries are ready: "auto" tells each node to emerge -g as soon as
       * everything it needs is on its binhost; "rollout" only through `binfleet rollout`.
       */
      notify: z.enum(["auto", "rollout"]).default("auto"),
      /**
       * Builds `binfleet glsa fix` queues: "auto" counts the fix as their approval; "approve" leaves
       * them to the usual approval (requireApproval, autoApprove).
       */
      security: z.enum(["auto", "approve"]).default("approve"),
    })
    .default({ hold: [], maxBuildAttempts: 2, requireApproval: false, autoApprove: [], notify: "auto", security: "approve" }),
  /** The ops API (`binfleet` CLI). */
  api: z
    .object({
      host: z.string().default("127.0.0.1"),
      /** 0: pick one (tests). */
      port: z.number().int().min(0).max(65535).default(50051),
      /**
       * Bearer tokens and their roles. With none configured, the coordinator creates an admin token
       * in stateDir/admin.token (mode 0600) on first start.
       */
      tokens: z.array(z.object({ name: z.string().min(1), token: z.string().min(16), role: z.enum(["viewer", "operator", "admin"]) })).default([]),
      tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    })
    .default({ host: "127.0.0.1", port: 50051, tokens: [] }),
  /**
   * The web dashboard (/ui/), on a port of its own, with the API's tokens and roles. Absent: not
   * served. Bound to loopback by default like the API: it carries operators' sessions and actions,
   * which the binhost's port (facing every node) should not. 0: pick a port (tests).
   */
  dashboard: z
    .object({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8081),
      /** PEM certificate and key: HTTPS (and Secure cookies). */
      tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    })
    .optional(),
  /** The seed's cron job, built in (see NightlyJob). */
  schedule: z
    .object({
      /** UTC time of the nightly job, "HH:MM"; empty: only on demand (`binfleet sync`). */
      nightly: z.union([z.literal(""), z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM (UTC)")]).default(""),
      /** Receives each run's pending-updates report: a URL (signed-less JSON) or { url, format, secretFile, retries } (see WebhookConfigSchema). */
      webhook: WebhookConfigSchema.optional(),
      /** How long to wait for nodes to re-report after they were asked to sync. */
      reportWaitSeconds: z.number().int().min(0).default(600),
    })
    .default({ nightly: "", reportWaitSeconds: 600 }),
  /**
   * The fleet's repository snapshot served by an rsync daemon the coordinator runs: nodes sync from
   * it, so they see the ebuilds the builders built from. The nightly job publishes each new snapshot.
   */
  mirror: z
    .object({
      enabled: z.boolean().default(false),
      repo: z.string().regex(/^[A-Za-z0-9_-]+$/).default("gentoo"),
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(1).max(65535).default(873),
      /** Host name nodes use (default: host). */
      publicHost: z.string().optional(),
      /** The tree to publish; default: the first platform's builder root's /var/db/repos/<repo>. */
      tree: z.string().optional(),
    })
    .default({ enabled: false, repo: "gentoo", host: "127.0.0.1", port: 873 }),
  /** A node without a heartbeat or report for this long is stale. */
  staleAfterSeconds: z.number().int().min(1).default(120),
  /** A rollout's update without an outcome after this long counts as failed. */
  rolloutNodeTimeoutSeconds: z.number().int().min(10).default(6 * 3600),
  /**
   * A builder that has not renewed its lease on a running build for this long is taken for dead
   * (crashed host, killed process): the build goes to another worker. Workers renew every sixth of it.
   */
  buildLeaseSeconds: z.number().int().min(3).default(60),
  /**
   * Builds this process runs at once, each from the platform with the most work queued among those
   * with a free root. 0: one per builder root (every root busy while there is work for it).
   */
  builderSlots: z.number().int().min(0).default(0),
  /** A build taking longer is considered dead and handed to another worker. */
  buildTimeoutSeconds: z.number().int().min(5).default(4 * 3600),
  maxReportBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
});

export type CoordinatorConfig = z.output<typeof CoordinatorConfigSchema>;
export type PlatformConfig = z.output<typeof PlatformConfigSchema>;
export type CoordinatorConfigInput = z.input<typeof CoordinatorConfigSchema>;
export const coordinatorConfig = (v: CoordinatorConfigInput): CoordinatorConfig => parseConfig(CoordinatorConfigSchema, v);
export const loadCoordinatorConfig = (file: string): Promise<CoordinatorConfig> => loadConfigFile(CoordinatorConfigSchema, file);

/** The CA file bus connections verify the server with, when the bus speaks TLS. */
export function busCaFile(config: CoordinatorConfig): string | undefined {
  return config.nats.ca ?? config.nats.tls?.cert;
}
