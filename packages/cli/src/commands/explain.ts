import { ExplainResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError } from "../command.js";
import { emit } from "../output.js";

export const explain: Command = {
  name: "explain",
  synopsis: ["explain NODE [ATOM]"],
  summary: "why NODE would still compile ATOM (or anything)",
  description:
    "For each package NODE would install (or those matching ATOM): binary, binary-available, no-binary (and the build's state), use-differs (with the flags), held, no-builder, snapshot-behind or not-pending, with a sentence saying what to do.",
  options: {},
  async run(ctx) {
    const [node, atom] = ctx.positionals;
    if (node === undefined || ctx.positionals.length > 2) throw new UsageError("explain takes a node and optionally an atom");
    const r = await ctx.api().explain({ nodeId: node, atom: atom ?? "" }, { deadline: Date.now() + 60_000 });
    emit(ctx, ExplainResponseSchema, r, () => {
      let t = "";
      for (const e of r.explanations) t += ` * ${e.cpv}: ${e.reason}${e.differingFlags.length > 0 ? ` [${e.differingFlags.join(" ")}]` : ""}\n     ${e.detail}\n`;
      return t === "" ? `>>> ${r.nodeId} has nothing pending: it is current\n` : `>>> ${r.nodeId} (${r.platformKey}):\n${t}`;
    });
    return 0;
  },
};
