import { type Command, UsageError, stringOption } from "../command.js";
import { writeSecret } from "./enroll.js";

export const enrollBuilder: Command = {
  name: "enroll-builder",
  synopsis: ["enroll-builder NAME [--out FILE]"],
  summary: "a builder process's own bus user: the \"nats\" part of its config, JSON",
  description: "Issues the bus user `binfleet-builder-NAME` (admin) for a `binfleet-coordinator builder` process on a build host, limited to taking build jobs, and prints the `nats` part of its configuration.",
  options: { out: { type: "string", value: "FILE", help: "write the config part here (mode 0600) instead of stdout" } },
  async run(ctx) {
    const name = ctx.positionals[0];
    if (name === undefined || ctx.positionals.length > 1) throw new UsageError("enroll-builder takes one builder name");
    const r = await ctx.api().enrollBuilder({ name }, { deadline: Date.now() + 60_000 });
    const text = `${JSON.stringify({ nats: { urls: r.natsUrls, user: r.natsUser, pass: r.natsPassword } }, null, 2)}\n`;
    if (r.natsCaPem !== "") ctx.io.err("the bus speaks TLS: give the builder the bus's CA (the coordinator's nats.ca) as nats.ca\n");
    const out = stringOption(ctx, "out");
    if (out === "") {
      ctx.io.out(text);
      return 0;
    }
    await writeSecret(out, text);
    ctx.io.out(ctx.json ? `${JSON.stringify({ builder: name, user: r.natsUser, config: out })}\n` : `>>> builder ${name} enrolled as bus user ${r.natsUser}; its nats config written to ${out}\n`);
    return 0;
  },
};
