import { isAbsolute, join, normalize, relative, resolve } from "node:path";
import { SimError } from "./errors.js";

/**
 * The simulated system's "/": every Portage path (/etc/portage, /var/db/pkg, …)
 * is resolved inside it, and nothing outside it is read or written, except the
 * repository a node's `var/db/repos/<name>` points at.
 */
export class SimRoot {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    if (this.dir === "/") throw new SimError("portage-sim refuses to use / as its root: set BINFLEET_SIM_ROOT to a simulated system", 2);
  }

  /** BINFLEET_SIM_ROOT, else ROOT, else PORTAGE_CONFIGROOT, as Portage picks its root. */
  static fromEnv(env: NodeJS.ProcessEnv): SimRoot {
    const dir = env["BINFLEET_SIM_ROOT"] || env["ROOT"] || env["PORTAGE_CONFIGROOT"];
    if (!dir) throw new SimError("portage-sim: no simulated system: set BINFLEET_SIM_ROOT (or ROOT / PORTAGE_CONFIGROOT)", 2);
    return new SimRoot(dir);
  }

  /** Maps an absolute Portage path ("/var/db/pkg") into the root; refuses paths that climb out. */
  path(p: string): string {
    const inner = normalize(isAbsolute(p) ? p : `/${p}`);
    const full = join(this.dir, inner);
    const rel = relative(this.dir, full);
    if (rel.startsWith("..") || isAbsolute(rel)) throw new SimError(`path escapes the simulated root: ${p}`, 2);
    return full;
  }
}
