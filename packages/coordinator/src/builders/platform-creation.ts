import { readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import { ApiError, type Caller } from "@binfleet/api";
import { gpgHomeProblem } from "@binfleet/binpkg-keys";
import { serialLock } from "@binfleet/daemon";
import { type Logger, PLATFORM_VARS, normalizePlatform, parsePortageqEnvvar, platformFromPortage } from "@binfleet/shared";
import type { KV } from "@nats-io/kv";
import type { BinhostService } from "../binhost/binhost-service.js";
import type { BinpkgKeyring } from "../binhost/binpkg-keyring.js";
import { signingHome } from "../binhost/binpkg-keyring.js";
import { type CoordinatorConfig, type PlatformConfig, PlatformConfigSchema } from "../config/coordinator-config.js";
import type { NodeRegistry } from "../ingest/node-registry.js";
import type { CommandSender } from "../node-commands/command-sender.js";
import type { BuildQueue } from "../planning/build-queue.js";
import { BuilderRootError, createBuilderRoot } from "./builder-root.js";
import { portageqIn } from "./builder-tree.js";
import type { PlatformCatalog } from "./platform-catalog.js";

export interface PlatformCreationOptions {
  readonly config: CoordinatorConfig;
  readonly platforms: PlatformCatalog;
  readonly registry: NodeRegistry;
  readonly binhost: BinhostService;
  readonly keyring: BinpkgKeyring;
  readonly queue: BuildQueue;
  readonly commands: CommandSender;
  /** Platforms made so, kept for restarts (bucket binfleet-platforms). */
  readonly created: KV;
  /** Starts this process's builder workers for a platform. */
  readonly startBuilders: (p: PlatformConfig) => void;
  readonly log: Logger;
}

/**
 * Makes a builder for a platform no builder serves, from a node on it (`binfleet platforms
 * create`): a builder root from the first configured root (the site's configuration) with the
 * node's settings, checked by asking Portage there for its platform; a signing key; then the
 * platform is served, built and kept at once. Its nodes' needs are queued, and each node is told
 * its binhost and the key to trust (it had none).
 */
export class PlatformCreation {
  private readonly creating = serialLock();

  constructor(private readonly o: PlatformCreationOptions) {}

  create(name: string, fromNode: string, caller: Caller): Promise<{ platform: PlatformConfig; nodes: string[] }> {
    return this.creating(async () => {
      const { platforms, config } = this.o;
      const n = this.o.registry.get(fromNode);
      if (n === undefined || n.platform === undefined) throw new ApiError("not-found", `no report from ${fromNode}`);
      const served = platforms.ofKey(n.platformKey);
      if (served !== undefined) throw new ApiError("failed-precondition", `${fromNode}'s platform ${n.platformKey} is built already, as ${served.name}`);
      if (platforms.find(name) !== null) throw new ApiError("failed-precondition", `a platform ${name} exists`);
      const template = platforms.all()[0];
      if (template === undefined) throw new ApiError("failed-precondition", "no builder root to copy the site's Portage configuration from: configure one platform first");
      const root = join(config.stateDir, "builders", name);
      const refused = (why: string) => new ApiError("failed-precondition", `cannot make a builder root for ${n.platformKey} from ${fromNode}: ${why}`);
      const unusable = gpgHomeProblem(signingHome(root));
      if (unusable !== null) throw refused(unusable);
      try {
        await createBuilderRoot({ template: template.root, dir: root, settings: normalizePlatform({ ...n.platform }), from: fromNode });
      } catch (err) {
        throw err instanceof BuilderRootError ? refused(err.message) : err;
      }
      try {
        // What Portage in the new root says its platform is must be the node's, or its binaries would not fit.
        const r = await portageqIn(config.portage, { root, binds: template.binds })(["envvar", ...PLATFORM_VARS]);
        const made = platformFromPortage(parsePortageqEnvvar(PLATFORM_VARS, r.stdout), await readlink(join(root, "etc/portage/make.profile")));
        if (made.key !== n.platformKey) throw refused(`Portage in the new root reports platform ${made.key} (${made.name}), not ${n.platformKey}`);
        await this.o.binhost.ensureSigningKey(name, root);
      } catch (err) {
        await rm(root, { recursive: true, force: true });
        throw err;
      }
      // The site's binds (a shared tree, DISTDIR) serve the new root as they serve the first.
      const platform = PlatformConfigSchema.parse({ name, key: n.platformKey, root, binds: template.binds });
      await this.o.created.put(name, JSON.stringify({ name, key: platform.key, root, binds: platform.binds }));
      const nodes = await this.add(platform);
      this.o.log.info({ by: caller.name, role: caller.role, platform: name, key: platform.key, root, fromNode, nodes: nodes.length }, "platform created");
      return { platform, nodes };
    });
  }

  /** Serves and builds a platform made while running; returns its nodes, which are told about it. */
  private async add(p: PlatformConfig): Promise<string[]> {
    this.o.platforms.add(p);
    this.o.binhost.serve(p);
    await this.o.binhost.prepare(p);
    this.o.startBuilders(p);
    const keys = this.o.keyring.get(p.name)!.trusted;
    const nodes = this.o.registry.all().filter((n) => n.platformKey === p.key).map((n) => n.nodeId).sort();
    // Planned before without a tree to check against: planned again from nothing, so every
    // variant they want is added, and queued.
    for (const node of nodes) this.o.queue.planner.updateNode({ nodeId: node, platformKey: p.key, wants: [] });
    for (const node of nodes) {
      await this.o.queue.replan(node);
      await this.o.commands.tellBinpkgKeys(node, p.key, keys, this.o.platforms.binhostUrl(p.name));
    }
    return nodes;
  }
}

/** The configured platforms and those `binfleet platforms create` made (a configured name or key wins). */
export function withCreatedPlatforms(configured: readonly PlatformConfig[], saved: ReadonlyMap<string, unknown>, log: Logger): PlatformConfig[] {
  const created: PlatformConfig[] = [];
  for (const [name, value] of saved) {
    const parsed = PlatformConfigSchema.safeParse(value);
    if (!parsed.success) {
      log.warn({ platform: name, err: parsed.error.message }, "created platform not understood: ignored");
      continue;
    }
    if (!configured.some((c) => c.name === parsed.data.name || c.key === parsed.data.key)) created.push(parsed.data);
  }
  return [...configured, ...created];
}
