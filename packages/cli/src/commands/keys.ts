import { RotateBinpkgKeyResponseSchema, RotateCommandKeyResponseSchema } from "@binfleet/shared/wire";
import { type Command, UsageError } from "../command.js";
import { emit, withProgress } from "../output.js";

export const keys: Command = {
  name: "keys",
  synopsis: ["keys rotate", "keys rotate-binpkg PLATFORM"],
  summary: "rotate the command-signing key or a platform's binpkg signing key",
  description:
    "`keys rotate` (admin): commands are signed with a new Ed25519 key; nodes are told, in order, to trust it before they meet it, so none needs re-enrolling. `keys rotate-binpkg PLATFORM` (admin): binaries are signed with a new OpenPGP key; nodes trust it first, every binary in PKGDIR is signed again, then the old key is retired (exit 1 when a binary could not be re-signed: the old key stays trusted).",
  subcommands: ["rotate", "rotate-binpkg"],
  options: {},
  async run(ctx) {
    const [sub, platform] = ctx.positionals;
    const o = { deadline: Date.now() + 3600_000 };
    if (sub === "rotate-binpkg" && platform !== undefined && ctx.positionals.length === 2) {
      const r = await withProgress(ctx, `re-signing ${platform}'s binaries`, ctx.api().rotateBinpkgKey({ platformKey: platform }, o));
      emit(ctx, RotateBinpkgKeyResponseSchema, r, () => {
        const lines = [`>>> binaries of ${platform} are now signed with key ${r.fingerprint} (was ${r.previousFingerprint}); ${r.nodesTold.length} nodes told to trust it first`, `>>> ${r.resigned} binaries in PKGDIR signed again`];
        if (r.previousRetired) lines.push(`>>> key ${r.previousFingerprint} retired: nodes no longer trust it`);
        else lines.push(` * gpkg-sign refused ${r.failed.length} binaries (${r.failed.slice(0, 5).join(", ")}): key ${r.previousFingerprint} stays trusted; see the coordinator's log, then run this again`);
        return `${lines.join("\n")}\n`;
      });
      return r.previousRetired ? 0 : 1;
    }
    if (sub !== "rotate" || ctx.positionals.length > 1) throw new UsageError("keys rotate | keys rotate-binpkg PLATFORM");
    const r = await ctx.api().rotateCommandKey({}, o);
    emit(ctx, RotateCommandKeyResponseSchema, r, () => `>>> commands are now signed with key ${r.keyId} (was ${r.previousKeyId}); ${r.nodesTold.length} nodes told to trust it, in order\n`);
    return 0;
  },
};
