import { consumers as consumerNames, streams, subjects } from "@binfleet/bus";
import type { Logger } from "@binfleet/shared";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, type Consumer, type JetStreamClient, JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { BinpkgKeyring, SigningReadiness } from "../binhost/binpkg-keyring.js";
import { CompileClaims } from "./compile-claims.js";
import { BuilderWorker, recordKey } from "./builder-worker.js";
import type { PlatformConfig } from "../config/coordinator-config.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import type { PkgdirIndexes } from "../binhost/pkgdir-index.js";
import type { PolicyStore } from "../planning/policy-store.js";
import { type QueuedWork, pickPlatform } from "../planning/queued-work.js";
import { type SerialLock, serialLock } from "@binfleet/daemon";

const queuesMade = new WeakMap<JetStreamManager, Map<string, Promise<void>>>();

/**
 * Makes a platform's build queue (or its security-build queue), the durable consumer builders
 * pull its jobs from, unless it exists: the coordinator does before it queues a build. Builders
 * may not create consumers (builderPermissions): a consumer's delivery subject is the creator's
 * choice, unchecked by the server. Once per connection and queue (again after a failure).
 */
export function ensureBuildQueue(jsm: JetStreamManager, platform: string, security: boolean, leaseSeconds: number): Promise<void> {
  let made = queuesMade.get(jsm);
  if (made === undefined) queuesMade.set(jsm, (made = new Map()));
  const name = security ? consumerNames.securityBuilders(platform) : consumerNames.builders(platform);
  let done = made.get(name);
  if (done === undefined) {
    const filter = security ? subjects.securityBuild(platform) : subjects.build(platform);
    done = jsm.consumers
      .info(streams.builds.name, name)
      .catch(() => jsm.consumers.add(streams.builds.name, { durable_name: name, filter_subject: filter, ack_policy: AckPolicy.Explicit, ack_wait: leaseSeconds * 1_000_000_000, max_deliver: -1 }))
      .then(() => undefined);
    const mine = made;
    done.catch(() => mine.delete(name));
    made.set(name, done);
  }
  return done;
}

/** A queue the coordinator has not made yet: nothing was ever queued there. */
const noQueueYet = (err: unknown): boolean => err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;

export interface BuilderPoolOptions {
  readonly config: CoordinatorConfig;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly builds: KV;
  readonly policy: PolicyStore;
  /** Each platform's binpkg signing keys: builds sign with the current one as they start. */
  readonly keyring: BinpkgKeyring;
  /** Readies a root to sign with its platform's keys (one per process: it remembers what it did). */
  readonly signing: SigningReadiness;
  /** Work queued per platform: which queue a free slot serves. */
  readonly queued: QueuedWork;
  /** The PKGDIR indexes, parsed once per change for everything in this process that reads them. */
  readonly indexes: PkgdirIndexes;
  /** Part of every worker's name: tells this process's builds from those of a process that died. */
  readonly instance: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** A builder root's turn, shared with whatever else in this process writes its PKGDIR (gc, key rotation). */
  readonly rootLock: (root: string) => SerialLock;
}

/** One serial lock per builder root, made on first use. */
export function rootLocks(): (root: string) => SerialLock {
  const locks = new Map<string, SerialLock>();
  return (root) => {
    let lock = locks.get(root);
    if (lock === undefined) locks.set(root, (lock = serialLock()));
    return lock;
  };
}

/** The roots a platform is built in: its own and its extra roots, each building one package at a time. */
export function platformRoots(p: PlatformConfig): PlatformConfig[] {
  return [p, ...p.extraRoots.map((root) => ({ ...p, root }))];
}

/**
 * The builder slots of a process, each a loop that takes one job at a time from the platform with
 * security builds queued, or else the most work queued (QueuedWork, written by the coordinator),
 * among those with a free builder root; a platform's security builds (their own subject and
 * consumer) before its other jobs. The coordinator runs them, and so does
 * `binfleet-coordinator builder` on a build host. A
 * slot is a build that can run at once; a root builds one package at a time (two emerges in one
 * ROOT would fight over its vdb), so a platform with several roots can use several slots while
 * another platform's queue is empty. Whoever takes a job holds its lease in the builds bucket; a
 * dead builder's job goes to another one.
 */
export function startBuilderWorkers(o: BuilderPoolOptions): Promise<void>[] {
  const platforms = o.config.platforms.filter((p) => p.workers > 0);
  const roots = new Map(
    platforms.map((p) => {
      // Roots of one platform share its PKGDIR: they must not compile the same package at once.
      const compileClaims = p.extraRoots.length > 0 ? new CompileClaims() : undefined;
      return [
        p.name,
        platformRoots(p).map((rp, index) => ({
          root: rp.root,
          busy: false,
          worker: new BuilderWorker({
            name: `${p.name}#${index}@${o.instance}`,
            platform: rp,
            config: o.config,
            kv: o.builds,
            log: o.log.child({ worker: `${p.name}#${index}` }),
            onLog: (key, text) => void o.js.publish(subjects.buildLog(recordKey(key)), new TextEncoder().encode(text)).catch(() => undefined),
            refuse: (key, cpv) => {
              const hold = o.policy.holdFor(p.key, cpv);
              if (hold !== null) return `held (${hold.atom})`;
              return o.policy.needsApproval(p.key, cpv, key) ? "not approved" : null;
            },
            // Read now: builds add their dependencies' binaries too.
            binhostHolds: async (key) => (await o.indexes.held(rp).catch(() => null))?.keys.has(key) ?? false,
            // gc and key rotation write this root's PKGDIR in its turn too.
            exclusive: o.rootLock(rp.root),
            buildEnv: () => ({ FEATURES: "binpkg-signing", BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing", BINPKG_GPG_SIGNING_KEY: o.keyring.current(p.name) ?? "" }),
            ...(compileClaims === undefined ? {} : { compileClaims }),
          }),
        })),
      ] as const;
    }),
  );
  const slots = o.config.builderSlots > 0 ? o.config.builderSlots : [...roots.values()].reduce((n, r) => n + r.length, 0);
  // A platform whose queue a slot found empty is left alone until its queued work changes (or a second passes).
  const dry = new Set<string>();
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((r) => (wake = r));
  const stopWatching = o.queued.onChange(() => {
    dry.clear();
    wake();
    changed = new Promise<void>((r) => (wake = r));
  });
  o.signal.addEventListener("abort", () => (stopWatching(), wake()), { once: true });
  const consumers = new Map<string, Promise<Consumer>>();
  const consumerOf = (p: PlatformConfig, security: boolean): Promise<Consumer> => {
    const name = security ? consumerNames.securityBuilders(p.name) : consumerNames.builders(p.name);
    let c = consumers.get(name);
    if (c === undefined) {
      c = o.js.consumers.get(streams.builds.name, name);
      consumers.set(name, c);
    }
    return c;
  };
  /** The platform's next job: a security build while any is queued, else its next build. */
  const nextJob = async (p: PlatformConfig): Promise<JsMsg | null> => {
    for (const security of o.queued.get(p.name).urgent > 0 ? [true, false] : [false]) {
      try {
        const m = await (await consumerOf(p, security)).next({ expires: 1000 });
        if (m !== null) return m;
      } catch (err) {
        consumers.delete(security ? consumerNames.securityBuilders(p.name) : consumerNames.builders(p.name));
        // No queue yet: nothing was ever queued there.
        if (!noQueueYet(err)) throw err;
      }
    }
    return null;
  };
  const slot = async (index: number): Promise<void> => {
    while (!o.signal.aborted) {
      const name = pickPlatform(platforms.filter((p) => !dry.has(p.name) && roots.get(p.name)!.some((r) => !r.busy)).map((p) => ({ name: p.name, queuedSeconds: o.queued.get(p.name).seconds, urgentJobs: o.queued.get(p.name).urgent })));
      if (name === null) {
        await Promise.race([changed, sleep(1000)]);
        dry.clear();
        continue;
      }
      const p = platforms.find((x) => x.name === name)!;
      const root = roots.get(name)!.find((r) => !r.busy)!;
      root.busy = true;
      try {
        let m: JsMsg | null;
        try {
          m = await nextJob(p);
        } catch (err) {
          if (o.signal.aborted) return;
          o.log.warn({ what: `builds ${p.name}`, slot: index, err: (err as Error).message }, "consumer unavailable, retrying");
          await sleep(1000);
          continue;
        }
        if (m === null) {
          dry.add(name);
          continue;
        }
        // A build signed with a key nodes do not trust would be refused by every node: leave the job to a builder that can sign.
        const unready = await o.signing(root.root, o.keyring.get(p.name));
        if (unready !== null) {
          o.log.error({ platform: p.name, root: root.root, reason: unready }, "builder cannot sign: job left for another builder");
          m.nak(30_000);
          dry.add(name);
          continue;
        }
        await root.worker.handle(m);
      } finally {
        root.busy = false;
      }
    }
  };
  return Array.from({ length: slots }, (_, i) => slot(i));
}
