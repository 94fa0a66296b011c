import { LOCAL_BUILDER, buckets, connectBus, followWithoutConsumers, jetstreamManagerWhenReady } from "@binfleet/bus";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { ConfigError, type Logger } from "@binfleet/shared";
import { jetstream } from "@nats-io/jetstream";
import { type DaemonFailure, Supervisor } from "@binfleet/daemon";
import { Kvm } from "@nats-io/kv";
import { BinpkgKeyring, signingReadiness } from "../binhost/binpkg-keyring.js";
import { rootLocks, startBuilderWorkers } from "./builder-pool.js";
import { BuilderTree, portageqIn } from "./builder-tree.js";
import { layoutOf } from "./root-portage.js";
import { BusUsers } from "../enrollment/bus-users.js";
import { type CoordinatorConfig, busCaFile } from "../config/coordinator-config.js";
import { PkgdirIndexes } from "../binhost/pkgdir-index.js";
import { PolicyStore } from "../planning/policy-store.js";
import { QueuedWork } from "../planning/queued-work.js";

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
    private readonly supervisor: Supervisor,
    private readonly log: Logger,
  ) {}

  static async create(config: CoordinatorConfig, log: Logger): Promise<BuilderProcess> {
    const supervisor = new Supervisor(log);
    try {
      // On the coordinator's host, an embedded bus is reached with the local builder user the
      // coordinator keeps in its state directory; elsewhere with the user `binfleet enroll-builder` gave.
      const urls = config.nats.urls.length > 0 ? config.nats.urls : [`nats://127.0.0.1:${config.nats.embeddedPort}`];
      const credentials =
        config.nats.user !== undefined ? { user: config.nats.user, pass: config.nats.pass ?? "" } : config.nats.urls.length === 0 ? await (await BusUsers.load(config.stateDir)).enrollBuilder(LOCAL_BUILDER) : null;
      const ca = busCaFile(config);
      const nc = await connectBus({ servers: urls, name: `binfleet-builder ${hostname()}`, credentials, ...(ca === undefined ? {} : { caFile: ca }), waitOnFirstConnect: true, log });
      supervisor.defer("bus connection", () => nc.drain().catch(() => undefined));
      const jsm = await jetstreamManagerWhenReady(nc, { timeout: 10_000, log });
      const kvm = new Kvm(nc);
      const builds = await kvm.open(buckets.builds);
      const requireApproval = (pk: string): boolean => config.platforms.find((p) => p.key === pk)?.requireApproval ?? config.policy.requireApproval;
      // A builder may not create consumers (builderPermissions): it follows buckets without.
      const follow = followWithoutConsumers(nc, jsm);
      const policy = await PolicyStore.open(await kvm.open(buckets.policy), { configHolds: config.policy.hold, requireApproval, autoApprove: config.policy.autoApprove }, follow);
      supervisor.defer("policy", () => policy.stop());
      const keyring = await BinpkgKeyring.open(await kvm.open(buckets.binpkgKeys), follow);
      supervisor.defer("binpkg keyring", () => keyring.stop());
      const queued = await QueuedWork.open(await kvm.open(buckets.queuedWork), follow);
      supervisor.defer("queued work", () => queued.stop());
      const signing = signingReadiness();
      const building = config.platforms.filter((p) => p.workers > 0);
      for (const [i, p] of config.platforms.entries()) {
        if (p.workers === 0) continue;
        // A root without a tree would fail every job it takes, for the whole fleet: refuse to start.
        if ((await new BuilderTree(layoutOf(p), portageqIn(config.portage, layoutOf(p))).repositories()).length === 0) {
          throw new ConfigError(`builder root ${p.root} (platform ${p.name}) has no repository: sync it, or fix its repos.conf`, "<config>", `platforms.${i}.root`);
        }
        // So would a root that signs with a key nodes do not trust.
        const unready = await signing(p.root, keyring.get(p.name));
        if (unready !== null) throw new ConfigError(`builder root ${p.root} (platform ${p.name}) cannot sign: ${unready}`, "<config>", `platforms.${i}.root`);
      }
      const instance = `builder-${hostname()}-${randomUUID().slice(0, 8)}`;
      const slots = startBuilderWorkers({ config: { ...config, platforms: building }, js: jetstream(nc), jsm, builds, policy, keyring, signing, queued, indexes: new PkgdirIndexes(), instance, signal: supervisor.signal, log, rootLock: rootLocks() });
      for (const [i, slot] of slots.entries()) supervisor.loop(`builder slot ${i}`, () => slot);
      log.info({ instance, platforms: building.map((p) => p.name) }, "builder started");
      return new BuilderProcess(supervisor, log);
    } catch (err) {
      await supervisor.stop();
      throw err;
    }
  }

  /** Resolves when the builder can no longer work (a slot died). */
  get failure(): Promise<DaemonFailure> {
    return this.supervisor.failure;
  }

  /** Finishes the running builds (new jobs are not taken), then leaves the bus. */
  async shutdown(): Promise<void> {
    await this.supervisor.stop();
    this.log.info({}, "builder stopped");
  }
}
