import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { ConfigError, type Logger, inboxPrefix } from "@binfleet/shared";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type NatsConnection, connect } from "@nats-io/transport-node";
import { BINPKG_KEYS_BUCKET, BinpkgKeyring, signingReadiness } from "./binpkg-keyring.js";
import { rootLocks, startBuilderWorkers } from "./builder-pool.js";
import { BuilderTree, portageqIn } from "./builder-tree.js";
import { BUILDS_BUCKET } from "./build-board.js";
import { LOCAL_BUILDER } from "./bus-permissions.js";
import { logBusStatus } from "./bus-status.js";
import { BusUsers } from "./bus-users.js";
import { type CoordinatorConfig, busCaFile } from "./coordinator-config.js";
import { followWithoutConsumers } from "./kv-follow.js";
import { PkgdirIndexes } from "./pkgdir-index.js";
import { POLICY_BUCKET, PolicyStore } from "./policy-store.js";
import { QUEUED_WORK_BUCKET, QueuedWork } from "./queued-work.js";

/**
 * `binfleet-coordinator builder`: builder workers without the rest of the coordinator, on a build
 * host or beside the coordinator. It takes jobs from the same queues, holds their leases in the
 * same bucket and signs with the platform's current binpkg key (the coordinator's choice, followed
 * through rotations), which must be installed in its builder root (etc/portage/gnupg-signing,
 * copied from the coordinator's: secret keys never travel on the bus). Its PKGDIR must be the one the
 * binhost serves (the same directory, or an NFS mount of it): that is where its binaries land.
 * Killed, its running jobs go to another builder once their lease runs out.
 */
export class BuilderProcess {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly policy: PolicyStore,
    private readonly keyring: BinpkgKeyring,
    private readonly queued: QueuedWork,
    private readonly stopping: AbortController,
    private readonly loops: Promise<void>[],
    private readonly log: Logger,
  ) {}

  static async create(config: CoordinatorConfig, log: Logger): Promise<BuilderProcess> {
    // On the coordinator's host, an embedded bus is reached with the local builder user the
    // coordinator keeps in its state directory; elsewhere with the user `binfleet enroll-builder` gave.
    const urls = config.nats.urls.length > 0 ? config.nats.urls : [`nats://127.0.0.1:${config.nats.embeddedPort}`];
    const credentials =
      config.nats.user !== undefined ? { user: config.nats.user, pass: config.nats.pass ?? "" } : config.nats.urls.length === 0 ? await (await BusUsers.load(config.stateDir)).enrollBuilder(LOCAL_BUILDER) : null;
    const ca = busCaFile(config);
    const nc = await connect({
      servers: urls,
      name: `binfleet-builder ${hostname()}`,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(credentials === null ? {} : { user: credentials.user, pass: credentials.pass, inboxPrefix: inboxPrefix(credentials.user) }),
      ...(ca === undefined ? {} : { tls: { caFile: ca } }),
    });
    void logBusStatus(nc, log);
    try {
      const jsm = await jetstreamManager(nc, { timeout: 10_000 });
      const kvm = new Kvm(nc);
      const builds = await kvm.open(BUILDS_BUCKET);
      const requireApproval = (pk: string): boolean => config.platforms.find((p) => p.key === pk)?.requireApproval ?? config.policy.requireApproval;
      // A builder may not create consumers (builderPermissions): it follows buckets without.
      const follow = followWithoutConsumers(nc, jsm);
      const policy = await PolicyStore.open(await kvm.open(POLICY_BUCKET), { configHolds: config.policy.hold, requireApproval, autoApprove: config.policy.autoApprove }, follow);
      const keyring = await BinpkgKeyring.open(await kvm.open(BINPKG_KEYS_BUCKET), follow);
      const queued = await QueuedWork.open(await kvm.open(QUEUED_WORK_BUCKET), follow);
      const signing = signingReadiness();
      const building = config.platforms.filter((p) => p.workers > 0);
      for (const [i, p] of config.platforms.entries()) {
        if (p.workers === 0) continue;
        // A root without a tree would fail every job it takes, for the whole fleet: refuse to start.
        if ((await new BuilderTree(p.root, portageqIn(config.portage, p.root)).repositories()).length === 0) {
          throw new ConfigError(`builder root ${p.root} (platform ${p.name}) has no repository: sync it, or fix its repos.conf`, "<config>", `platforms.${i}.root`);
        }
        // So would a root that signs with a key nodes do not trust.
        const unready = await signing(p.root, keyring.get(p.name));
        if (unready !== null) throw new ConfigError(`builder root ${p.root} (platform ${p.name}) cannot sign: ${unready}`, "<config>", `platforms.${i}.root`);
      }
      const stopping = new AbortController();
      const instance = `builder-${hostname()}-${randomUUID().slice(0, 8)}`;
      const loops = startBuilderWorkers({ config: { ...config, platforms: building }, js: jetstream(nc), jsm, builds, policy, keyring, signing, queued, indexes: new PkgdirIndexes(), instance, signal: stopping.signal, log, rootLock: rootLocks() });
      log.info({ instance, platforms: building.map((p) => p.name) }, "builder started");
      return new BuilderProcess(nc, policy, keyring, queued, stopping, loops, log);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** Finishes the running builds (new jobs are not taken), then leaves the bus. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    this.queued.stop();
    this.keyring.stop();
    this.policy.stop();
    await this.nc.drain().catch(() => undefined);
    this.log.info({}, "builder stopped");
  }
}
