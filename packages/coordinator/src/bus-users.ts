import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { agentPermissions } from "@binfleet/shared";
import { z } from "zod";

const UsersFileSchema = z.object({
  coordinator: z.object({ user: z.string(), pass: z.string() }),
  nodes: z.record(z.string(), z.string()),
});
type UsersFile = z.infer<typeof UsersFileSchema>;

export interface BusCredentials {
  readonly user: string;
  readonly pass: string;
}

const secret = (): string => randomBytes(24).toString("base64url");

/**
 * The embedded nats-server's users: the coordinator (everything) and one user
 * per enrolled node, limited to that node's own subjects (agentPermissions).
 * Kept in stateDir/nats-users.json (mode 0600): server configuration, like a
 * TLS key, not fleet state.
 */
export class BusUsers {
  private constructor(
    private readonly file: string,
    private data: UsersFile,
  ) {}

  static async load(stateDir: string): Promise<BusUsers> {
    const file = join(stateDir, "nats-users.json");
    try {
      return new BusUsers(file, UsersFileSchema.parse(JSON.parse(await readFile(file, "utf8"))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const users = new BusUsers(file, { coordinator: { user: "binfleet-coordinator", pass: secret() }, nodes: {} });
      await users.save();
      return users;
    }
  }

  get coordinator(): BusCredentials {
    return this.data.coordinator;
  }

  /** The node's credentials, created on first enrollment (enrolling again returns the same ones). */
  async enroll(node: string): Promise<BusCredentials> {
    let pass = this.data.nodes[node];
    if (pass === undefined) {
      pass = secret();
      this.data = { ...this.data, nodes: { ...this.data.nodes, [node]: pass } };
      await this.save();
    }
    return { user: node, pass };
  }

  /** Every enrolled node. */
  nodes(): string[] {
    return Object.keys(this.data.nodes);
  }

  /** The `authorization` block for nats-server. The config format reads JSON values. */
  serverConfig(): string {
    const users = [
      { user: this.data.coordinator.user, password: this.data.coordinator.pass },
      ...Object.entries(this.data.nodes).map(([node, pass]) => ({ user: node, password: pass, permissions: agentPermissions(node) })),
    ];
    return `authorization: ${JSON.stringify({ users })}\n`;
  }

  private async save(): Promise<void> {
    await mkdir(join(this.file, ".."), { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    await rename(`${this.file}.tmp`, this.file);
  }
}
