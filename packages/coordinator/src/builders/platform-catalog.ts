import { ApiError } from "@binfleet/api";
import type { CoordinatorConfig, PlatformConfig } from "../config/coordinator-config.js";
import { BuilderTree, portageqIn } from "./builder-tree.js";
import { layoutOf } from "./root-portage.js";

/**
 * The platforms with a builder: those configured and those `binfleet platforms create` made
 * (a configured name or key wins), each with the tree its builders build from.
 */
export class PlatformCatalog {
  private readonly list: PlatformConfig[] = [];
  private readonly byKey = new Map<string, PlatformConfig>();
  private readonly trees = new Map<string, BuilderTree>();

  constructor(
    private readonly portage: CoordinatorConfig["portage"],
    platforms: readonly PlatformConfig[],
    /** The binhost's public base URL (http.publicUrl, or where it listens). */
    private readonly binhostBase: () => string,
  ) {
    for (const p of platforms) this.add(p);
  }

  /** Serves and builds one more platform from now on. */
  add(p: PlatformConfig): void {
    this.list.push(p);
    this.byKey.set(p.key, p);
    this.trees.set(p.key, new BuilderTree(layoutOf(p), portageqIn(this.portage, layoutOf(p))));
  }

  all(): readonly PlatformConfig[] {
    return this.list;
  }

  /** The platform built for a key, if any. */
  ofKey(key: string): PlatformConfig | undefined {
    return this.byKey.get(key);
  }

  /** A platform by name or key, or null. */
  find(nameOrKey: string): PlatformConfig | null {
    return this.byKey.get(nameOrKey) ?? this.list.find((p) => p.name === nameOrKey) ?? null;
  }

  /** The platforms a request names: all of them for "", else the one with that key. */
  selected(platformKey: string): PlatformConfig[] {
    return this.list.filter((p) => platformKey === "" || p.key === platformKey);
  }

  /**
   * Resolves a platform given by name or key to its key ("" stays ""): a key some node reports
   * counts even without a builder; anything else is an API error.
   */
  resolveKey(nameOrKey: string, reportedKeys: () => readonly string[]): string {
    if (nameOrKey === "") return "";
    const p = this.find(nameOrKey);
    if (p !== null) return p.key;
    if (reportedKeys().includes(nameOrKey)) return nameOrKey;
    throw new ApiError("not-found", `unknown platform '${nameOrKey}'`);
  }

  /** Which ebuilds a platform's builder tree has (undefined: no builder). */
  tree(key: string): BuilderTree | undefined {
    return this.trees.get(key);
  }

  /** The URL nodes use for a platform's binhost (binrepos.conf sync-uri). */
  binhostUrl(name: string): string {
    return `${this.binhostBase()}/binhost/${name}`;
  }
}
