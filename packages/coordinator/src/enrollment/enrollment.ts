import { readFile } from "node:fs/promises";
import { type BusCredentials, SERVICE_USER_PREFIX, consumers, streams } from "@binfleet/bus";
import { ApiError, type Caller } from "@binfleet/api";
import type { SerialLock } from "@binfleet/daemon";
import type { NatsServer } from "@binfleet/nats-server";
import type { Logger } from "@binfleet/shared";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { BusUsers } from "./bus-users.js";

export interface EnrollmentOptions {
  /** The embedded server's users, or null on an external cluster (its admin keeps them). */
  readonly users: BusUsers | null;
  readonly server: NatsServer | null;
  readonly jsm: JetStreamManager;
  /** URLs nodes and builders reach the bus at. */
  readonly publicUrls: readonly string[];
  /** PEM file of the bus's CA, when the bus speaks TLS. */
  readonly caFile: string | undefined;
  /** Enrollments and command-key rotations take turns: each changes what enrollment hands out. */
  readonly enrolling: SerialLock;
  readonly log: Logger;
}

/**
 * Enrollment: each node and builder process gets a bus user of its own, limited to what it does
 * (on the embedded server; on an external cluster, its name only, for the cluster's admin).
 */
export class Enrollment {
  /** The bus server's reload in progress, and the one queued after it (joined by every enrollment until it starts). */
  private reloading: Promise<void> = Promise.resolve();
  private nextReload: Promise<void> | null = null;

  constructor(private readonly o: EnrollmentOptions) {}

  get busUrls(): readonly string[] {
    return this.o.publicUrls;
  }

  /** Every enrolled node (none known on an external cluster). */
  nodes(): string[] {
    return this.o.users?.nodes() ?? [];
  }

  /** The PEM nodes verify the bus's TLS certificate with ("" when the bus is not TLS). */
  async busCaPem(): Promise<string> {
    return this.o.caFile === undefined ? "" : readFile(this.o.caFile, "utf8");
  }

  /**
   * Enrolls a node: its own bus user (limited to its subjects; on an external cluster, its name
   * only). Enrolling again returns the same credentials.
   */
  async enrollNode(node: string, caller: Caller): Promise<BusCredentials> {
    // Service users (the coordinator, builders) are named so: a node must not share their user or inbox.
    if (node.startsWith(SERVICE_USER_PREFIX)) throw new ApiError("invalid-argument", `node ids starting with '${SERVICE_USER_PREFIX}' are reserved for binfleet's own bus users`);
    // An external cluster's users are its admin's (`bus-authorization` prints them): the bundle
    // names the node's user, and the node is given its password there.
    const credentials = this.o.users === null ? { user: node, pass: "" } : await this.addUser("node's", (users) => users.enroll(node));
    this.o.log.info({ by: caller.name, role: caller.role, node }, "node enrolled");
    return credentials;
  }

  /**
   * Removes the durable command consumers enrollment made for nodes before commands went live (a
   * node now reads what it missed through a short-lived consumer of its own): every message the
   * commands stream stores is matched against each of them, which made a fan-out to 10,000 nodes
   * take seconds. Returns how many there were.
   */
  async removeLegacyConsumers(): Promise<number> {
    const prefix = consumers.legacyCommand("");
    const legacy: string[] = [];
    for await (const c of this.o.jsm.consumers.list(streams.commands.name)) if (c.name.startsWith(prefix)) legacy.push(c.name);
    for (const name of legacy) await this.o.jsm.consumers.delete(streams.commands.name, name);
    if (legacy.length > 0) this.o.log.info({ consumers: legacy.length }, "legacy command consumers removed");
    return legacy.length;
  }

  /**
   * Enrolls a builder process (`binfleet-coordinator builder` on a build host): a bus user of its
   * own, limited to taking build jobs. Enrolling again returns the same credentials.
   */
  async enrollBuilder(name: string, caller: Caller): Promise<BusCredentials> {
    const credentials = await this.addUser("builder's", (users) => users.enrollBuilder(name));
    this.o.log.info({ by: caller.name, role: caller.role, builder: name, user: credentials.user }, "builder enrolled");
    return credentials;
  }

  /** Issues a user on the embedded server and has the server take it. */
  private async addUser(whose: string, issue: (users: BusUsers) => Promise<BusCredentials>): Promise<BusCredentials> {
    const { users, server } = this.o;
    if (users === null || server === null) {
      throw new ApiError("failed-precondition", `the bus is an external cluster: add the ${whose} user to its authorization (binfleet-coordinator bus-authorization prints it)`);
    }
    // One at a time: each enrollment rewrites the users file. Enrollments arriving together share
    // the server's next reload (its config is taken when the reload starts, so it has them all).
    const credentials = await this.o.enrolling(() => issue(users));
    this.nextReload ??= this.reloading.catch(() => undefined).then(() => {
      this.nextReload = null;
      return (this.reloading = server.reload(users.serverConfig()));
    });
    await this.nextReload;
    return credentials;
  }
}
