import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Logger, parsePackagesIndex } from "@binfleet/shared";
import { AckPolicy, type JetStreamClient, type JetStreamManager, RetentionPolicy } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { type BinpkgKeyring, signingReadiness } from "./binpkg-keyring.js";
import { BuilderWorker, type PlatformConfig, recordKey } from "./builder-worker.js";
import type { CoordinatorConfig } from "./coordinator-config.js";
import { consumeUntilAborted } from "./jetstream-loop.js";
import { heldVariants } from "./node-needs.js";
import type { PolicyStore } from "./policy-store.js";
import { serialLock, type SerialLock } from "./serial-lock.js";

export const BUILDS_STREAM = { name: "BINFLEET_BUILDS", subjects: ["binfleet.build.>"], retention: RetentionPolicy.Workqueue, duplicate_window: 10 * 60 * 1_000_000_000 };
export const BUILD_LOGS_STREAM = { name: "BINFLEET_BUILD_LOGS", subjects: ["binfleet.buildlog.>"], max_age: 14 * 24 * 3600 * 1_000_000_000, max_msg_size: 256 * 1024 };
export const buildSubject = (platform: string): string => `binfleet.build.${platform}`;
export const buildLogSubject = (buildId: string): string => `binfleet.buildlog.${buildId}`;

export interface BuilderPoolOptions {
  readonly config: CoordinatorConfig;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly builds: KV;
  readonly policy: PolicyStore;
  /** Each platform's binpkg signing keys: builds sign with the current one as they start. */
  readonly keyring: BinpkgKeyring;
  /** Part of every worker's name: tells this process's builds from those of a process that died. */
  readonly instance: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The builder root's turn, shared with whatever else in this process writes its PKGDIR (gc). */
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

/** Whether a platform's `$PKGDIR/Packages` lists a variant (read now: builds add dependencies' binaries too). */
async function pkgdirHolds(p: PlatformConfig, key: string): Promise<boolean> {
  try {
    return heldVariants(p.key, parsePackagesIndex(await readFile(join(p.root, p.pkgdir, "Packages"), "utf8"))).includes(key);
  } catch {
    return false;
  }
}

/**
 * The builder workers of a process, each a loop on its platform's shared build queue: the
 * coordinator runs them, and so does `binfleet-coordinator builder` on a build host. Whoever takes
 * a job holds its lease in the builds bucket; a dead builder's job goes to another one.
 */
export function startBuilderWorkers(o: BuilderPoolOptions): Promise<void>[] {
  const loops: Promise<void>[] = [];
  const ready = signingReadiness();
  for (const p of o.config.platforms) {
    // Workers sharing a builder root take turns: two emerges in one ROOT would fight over its vdb.
    const exclusive = o.rootLock(p.root);
    const consumer = `builders-${p.name}`;
    for (let index = 0; index < p.workers; index++) {
      const worker = new BuilderWorker({
        name: `${p.name}#${index}@${o.instance}`,
        platform: p,
        config: o.config,
        kv: o.builds,
        log: o.log.child({ worker: `${p.name}#${index}` }),
        onLog: (key, text) => void o.js.publish(buildLogSubject(recordKey(key)), new TextEncoder().encode(text)).catch(() => undefined),
        refuse: (key, cpv) => {
          const hold = o.policy.holdFor(p.key, cpv);
          if (hold !== null) return `held (${hold.atom})`;
          return o.policy.needsApproval(p.key, cpv, key) ? "not approved" : null;
        },
        binhostHolds: (key) => pkgdirHolds(p, key),
        exclusive,
        buildEnv: () => ({ FEATURES: "binpkg-signing", BINPKG_GPG_SIGNING_GPG_HOME: "/etc/portage/gnupg-signing", BINPKG_GPG_SIGNING_KEY: o.keyring.current(p.name) ?? "" }),
      });
      loops.push(
        consumeUntilAborted({
          signal: o.signal,
          log: o.log,
          what: `builds ${p.name}#${index}`,
          open: async () => {
            await o.jsm.consumers.info(BUILDS_STREAM.name, consumer).catch(() =>
              o.jsm.consumers.add(BUILDS_STREAM.name, { durable_name: consumer, filter_subject: buildSubject(p.name), ack_policy: AckPolicy.Explicit, ack_wait: o.config.buildLeaseSeconds * 1_000_000_000, max_deliver: -1 }),
            );
            return (await o.js.consumers.get(BUILDS_STREAM.name, consumer)).consume({ max_messages: 1 });
          },
          handle: async (m) => {
            // A build signed with a key nodes do not trust would be refused by every node: leave the job to a builder that can sign.
            const unready = await ready(p.root, o.keyring.get(p.name));
            if (unready !== null) {
              o.log.error({ platform: p.name, reason: unready }, "builder cannot sign: job left for another builder");
              m.nak(30_000);
              return;
            }
            await worker.handle(m);
          },
        }),
      );
    }
  }
  return loops;
}
