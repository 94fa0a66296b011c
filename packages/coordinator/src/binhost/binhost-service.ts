import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ApiError, type Caller } from "@binfleet/api";
import { createSigningKey, ensureSigningKey } from "@binfleet/binpkg-keys";
import { type SerialLock, serialLock } from "@binfleet/daemon";
import { type Logger, formatPackagesIndex, parsePackagesIndex } from "@binfleet/shared";
import type { AgentReport } from "@binfleet/shared/wire";
import type { PlatformCatalog } from "../builders/platform-catalog.js";
import { distdirOf, pkgdirOf } from "../builders/root-portage.js";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";
import { installedVariantKey } from "../ingest/node-needs.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import { type BuildPlanner, variantKey } from "../planning/build-planner.js";
import { planGarbage, prunedIndex } from "./binhost-gc.js";
import type { BinhostServer } from "./binhost-server.js";
import { type BinpkgKeyring, signingHome, signingUid } from "./binpkg-keyring.js";
import { resignPkgdir } from "./binpkg-resign.js";
import type { PkgdirIndexes } from "./pkgdir-index.js";

export interface BinhostServiceOptions {
  readonly config: CoordinatorConfig;
  readonly server: BinhostServer;
  readonly indexes: PkgdirIndexes;
  readonly keyring: BinpkgKeyring;
  readonly planner: BuildPlanner;
  readonly platforms: PlatformCatalog;
  readonly registry: NodeRegistry;
  readonly commands: CommandSender;
  /** Enrolled nodes, reported or not (they hold the keys their bundle named). */
  readonly enrolledNodes: () => readonly string[];
  readonly forEachLatestReport: (fn: (r: AgentReport) => void) => Promise<void>;
  /** A builder root's turn: builds, gc and re-signing write its PKGDIR one at a time. */
  readonly rootLock: (root: string) => SerialLock;
  readonly log: Logger;
}

/** What a binpkg key rotation did: the new and previous key, who was told, what was signed again. */
export interface BinpkgRotation {
  readonly fingerprint: string;
  readonly previous: string;
  readonly nodes: string[];
  readonly resigned: number;
  readonly failed: readonly string[];
  /** The previous key is no longer trusted (every binary was signed again). */
  readonly retired: boolean;
}

/**
 * The binhosts as the planner sees them (which variants each PKGDIR holds), their signing keys,
 * and the changes made to them besides builds: garbage collection and signing-key rotation.
 */
export class BinhostService {
  /** Size of each binary on the binhosts, by variant key (for rollout pre-flight). */
  private readonly sizes = new Map<string, number>();
  /** Key rotations, one at a time (each takes as long as re-signing a PKGDIR). */
  private readonly rotating = serialLock();

  constructor(private readonly o: BinhostServiceOptions) {}

  binarySize(variant: string): number | undefined {
    return this.sizes.get(variant);
  }

  /** Re-reads a platform's Packages: the variants it holds never enter the build list. */
  async refresh(p: PlatformConfig): Promise<void> {
    let keys: string[] = [];
    try {
      keys = ((await this.o.indexes.held(p))?.variants ?? []).map(({ key, size }) => {
        this.sizes.set(key, size);
        return key;
      });
    } catch (err) {
      this.o.log.warn({ platform: p.name, err: (err as Error).message }, "binhost index unreadable: treating it as empty");
    }
    this.o.planner.setHeld(p.key, keys);
  }

  /** Reads a platform's binhost and makes sure it has a signing key. */
  async prepare(p: PlatformConfig): Promise<void> {
    await this.refresh(p);
    await this.ensureSigningKey(p.name, p.root);
  }

  /** Serves a platform made while running. */
  serve(p: PlatformConfig): void {
    this.o.server.addPlatform({ name: p.name, pkgdir: pkgdirOf(p) }, this.o.config.http.distfiles ? distdirOf(p) : null);
  }

  /**
   * Portage verifies binpkg signatures by default: a platform's builds are signed with a key of its
   * builder root, recorded in the keyring (builders trust the keys themselves as they take their
   * first job: Portage verifies each package it puts in PKGDIR).
   */
  async ensureSigningKey(platform: string, root: string): Promise<void> {
    if (this.o.keyring.get(platform) !== undefined) return;
    const key = await ensureSigningKey(signingHome(root), signingUid(platform));
    await this.o.keyring.put(platform, { current: key.fingerprint, trusted: [key] });
  }

  /**
   * Rotates a platform's binpkg signing key without stranding a node: its nodes are told to trust
   * old and new keys, builders sign with the new one, every binary in PKGDIR is signed again with
   * it (gpkg-sign, emaint binhost --fix), and only then are nodes told to trust the new key alone.
   * Commands reach each node in order, so none meets a binary signed with a key it does not trust
   * yet; an offline node gets every step when it returns. Should gpkg-sign refuse a package, the
   * old key stays trusted (running the rotation again finishes it).
   */
  async rotateKey(platform: string, caller: Caller): Promise<BinpkgRotation> {
    const p = this.o.platforms.find(platform);
    if (p === null) throw new ApiError(platform === "" ? "invalid-argument" : "not-found", platform === "" ? "which platform? (name or key)" : `no platform ${platform}`);
    return this.rotating(() => this.rotateNow(p, caller));
  }

  private async rotateNow(p: PlatformConfig, caller: Caller): Promise<BinpkgRotation> {
    const before = this.o.keyring.get(p.name)!;
    const next = await createSigningKey(signingHome(p.root), signingUid(p.name));
    const previous = before.current;
    const both = [...before.trusted.filter((k) => k.fingerprint !== next.fingerprint), next];
    const told = new Set<string>();
    // The platform's nodes, and enrolled nodes not heard from yet (their bundle named the keys
    // trusted then): a node on another platform refuses the keys, named for this one. Asked
    // again at each step, so a node enrolled meanwhile is told too.
    const tell = async (keys: readonly { fingerprint: string; publicKey: string }[]): Promise<void> => {
      const reported = new Set(this.o.registry.all().map((n) => n.nodeId));
      const nodes = [...this.o.registry.all().filter((n) => n.platformKey === p.key).map((n) => n.nodeId), ...this.o.enrolledNodes().filter((n) => !reported.has(n))];
      for (const node of nodes.sort()) {
        await this.o.commands.tellBinpkgKeys(node, p.key, keys);
        told.add(node);
      }
    };
    await this.o.keyring.put(p.name, { current: previous, trusted: both });
    await tell(both);
    await this.o.keyring.put(p.name, { current: next.fingerprint, trusted: both });
    // In the root's turn: no local build signs with the old key while its packages are re-signed.
    const r = await this.o.rootLock(p.root)(() => resignPkgdir({ portage: this.o.config.portage, platform: p, fingerprint: next.fingerprint, log: this.o.log }));
    await this.refresh(p);
    const retired = r.failed.length === 0;
    if (retired) {
      await this.o.keyring.put(p.name, { current: next.fingerprint, trusted: [next] });
      await tell([next]);
    }
    const nodes = [...told].sort();
    this.o.log.info({ by: caller.name, role: caller.role, platform: p.name, fingerprint: next.fingerprint, previous, nodes: nodes.length, resigned: r.resigned, failed: r.failed.length, retired }, "binpkg key rotated");
    return { fingerprint: next.fingerprint, previous, nodes, resigned: r.resigned, failed: r.failed, retired };
  }

  /**
   * Removes binaries no node on the platform has installed or pending (with that USE), keeping the
   * newest `keepVersions` versions of each package, and rewrites Packages atomically. Runs in the
   * builder root's turn, so no local build writes to PKGDIR meanwhile.
   */
  async collectGarbage(platformKey: string, dryRun: boolean, keepVersions: number, caller: Caller): Promise<{ removed: string[]; freedBytes: number }> {
    this.o.log.info({ by: caller.name, role: caller.role, platform: platformKey, dryRun, keepVersions }, "garbage collection requested");
    const needed = new Set<string>();
    await this.o.forEachLatestReport((r) => {
      for (const p of r.installed) needed.add(installedVariantKey(r.platform!.key, p.cpv, p.use, p.iuse));
    });
    for (const n of this.o.registry.all()) for (const p of n.pending) needed.add(variantKey({ platformKey: n.platformKey, cpv: p.cpv, use: p.use }));
    const removed: string[] = [];
    let freedBytes = 0;
    for (const p of this.o.platforms.selected(platformKey)) {
      const pkgdir = pkgdirOf(p);
      await this.o.rootLock(p.root)(async () => {
        const index = parsePackagesIndex(await readFile(join(pkgdir, "Packages"), "utf8").catch(() => ""));
        const plan = planGarbage(index, p.key, needed, keepVersions);
        for (const r of plan.remove) {
          removed.push(`${p.name}: ${r.cpv} (${r.path})`);
          freedBytes += r.size;
        }
        if (dryRun || plan.remove.length === 0) return;
        // The index first: a client never sees an entry whose file is gone.
        const text = formatPackagesIndex(prunedIndex(index, plan.keep, new Date()));
        const target = join(pkgdir, "Packages");
        await writeFile(`${target}.gz.tmp`, gzipSync(text));
        await writeFile(`${target}.tmp`, text);
        await rename(`${target}.gz.tmp`, `${target}.gz`);
        await rename(`${target}.tmp`, target);
        for (const r of plan.remove) {
          const file = join(pkgdir, r.path);
          if (file.startsWith(`${pkgdir}/`)) await rm(file, { force: true });
        }
      });
      await this.refresh(p);
    }
    this.o.log.info({ platform: platformKey, dryRun, removed: removed.length, freedBytes }, "garbage collected");
    return { removed, freedBytes };
  }
}
