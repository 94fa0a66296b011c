import { writeFile } from "node:fs/promises";
import { toJsonString } from "@bufbuild/protobuf";
import { EnrollNodeResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError, stringOption } from "../command.js";

/** Writes a file that holds a bus password: readable by root only. */
export const writeSecret = (file: string, text: string): Promise<void> => writeFile(file, text, { mode: 0o600 });

export const enroll: Command = {
  name: "enroll",
  synopsis: ["enroll NODE [--out FILE]"],
  summary: "the node's enrollment bundle (bus credentials, keys, binhosts), JSON",
  description:
    "Enrolls NODE (admin): its own bus user, limited to its subjects, and the bundle `binfleet-agent enroll --bundle FILE` installs on the node (bus URL and credentials, the coordinator's command keys, each platform's binhost and binpkg key, the repository mirror). Enrolling again returns the same credentials.",
  options: { out: { type: "string", value: "FILE", help: "write the bundle here (mode 0600) instead of stdout" } },
  async run(ctx) {
    const node = ctx.positionals[0];
    if (node === undefined || ctx.positionals.length > 1) throw new UsageError("enroll takes one node id");
    const r = await ctx.api().enrollNode({ nodeId: node }, { deadline: Date.now() + 60_000 });
    if (r.natsPassword === "") ctx.io.err(`the bus is an external cluster: give ${r.natsUser} its password from the cluster's authorization (nats.pass in the agent's config) before binfleet-agent enroll\n`);
    const text = `${toJsonString(EnrollNodeResponseSchema, r, { alwaysEmitImplicit: true })}\n`;
    const out = stringOption(ctx, "out");
    if (out === "") {
      ctx.io.out(text);
      return 0;
    }
    await writeSecret(out, text);
    ctx.io.out(ctx.json ? `${JSON.stringify({ node, bundle: out })}\n` : `>>> ${node} enrolled; bundle written to ${out} (install it on the node)\n`);
    return 0;
  },
};
