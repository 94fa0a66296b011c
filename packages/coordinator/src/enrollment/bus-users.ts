import { type BusCredentials, COORDINATOR_USER, LOCAL_BUILDER, agentPermissions, builderPermissions, builderUser, coordinatorPermissions } from "@binfleet/bus";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";

const UsersFileSchema = z.object({
  coordinator: z.object({ user: z.string(), pass: z.string() }),
  // Absent in files written before builders had users of their own.
  builders: z.record(z.string(), z.string()).default({}),
  nodes: z.record(z.string(), z.string()),
});
type UsersFile = z.infer<typeof UsersFileSchema>;

/** A fresh password for a bus user. */
export const secret = (): string => randomBytes(24).toString("base64url");

/**
 * nats-server's `authorization` block for binfleet's users, each limited to what it does (the
 * config format reads JSON values): what the embedded server runs with, and what
 * `binfleet-coordinator bus-authorization` prints for an external cluster.
 */
export function busAuthorization(u: { readonly coordinator: BusCredentials; readonly builders: Readonly<Record<string, string>>; readonly nodes: Readonly<Record<string, string>> }): string {
  const users = [
    { user: u.coordinator.user, password: u.coordinator.pass, permissions: coordinatorPermissions(u.coordinator.user) },
    ...Object.entries(u.builders).map(([name, password]) => ({ user: builderUser(name), password, permissions: builderPermissions(builderUser(name)) })),
    ...Object.entries(u.nodes).map(([node, password]) => ({ user: node, password, permissions: agentPermissions(node) })),
  ];
  return `authorization: ${JSON.stringify({ users }, null, 2)}\n`;
}

/**
 * The embedded nats-server's users, each limited to what it does: the coordinator
 * (coordinatorPermissions), builder processes (builderPermissions; `local` for
 * those on the coordinator's host, which read this file) and one user per
 * enrolled node (agentPermissions). Kept in stateDir/nats-users.json (mode
 * 0600): server configuration, like a TLS key, not fleet state.
 */
export class BusUsers {
  private constructor(
    private readonly file: string,
    private data: UsersFile,
  ) {}

  static async load(stateDir: string): Promise<BusUsers> {
    const file = join(stateDir, "nats-users.json");
    let users: BusUsers;
    try {
      users = new BusUsers(file, UsersFileSchema.parse(JSON.parse(await readFile(file, "utf8"))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      users = new BusUsers(file, { coordinator: { user: COORDINATOR_USER, pass: secret() }, builders: {}, nodes: {} });
      await users.save();
    }
    await users.enrollBuilder(LOCAL_BUILDER);
    return users;
  }

  get coordinator(): BusCredentials {
    return this.data.coordinator;
  }

  /** A builder process's credentials, created on first enrollment (enrolling again returns the same ones). */
  async enrollBuilder(name: string): Promise<BusCredentials> {
    return { user: builderUser(name), pass: await this.password("builders", name) };
  }

  /** The node's credentials, created on first enrollment (enrolling again returns the same ones). */
  async enroll(node: string): Promise<BusCredentials> {
    return { user: node, pass: await this.password("nodes", node) };
  }

  private async password(kind: "builders" | "nodes", name: string): Promise<string> {
    const known = this.data[kind][name];
    if (known !== undefined) return known;
    const pass = secret();
    this.data = { ...this.data, [kind]: { ...this.data[kind], [name]: pass } };
    await this.save();
    return pass;
  }

  /** Every enrolled node. */
  nodes(): string[] {
    return Object.keys(this.data.nodes);
  }

  /** The `authorization` block for the embedded nats-server. */
  serverConfig(): string {
    return busAuthorization(this.data);
  }

  private async save(): Promise<void> {
    await mkdir(join(this.file, ".."), { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    await rename(`${this.file}.tmp`, this.file);
  }
}
