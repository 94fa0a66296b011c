import { readFile, writeFile } from "node:fs/promises";
import { type ParseArgsConfig, parseArgs } from "node:util";

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;
import { type DescMessage, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import {
  BuildState,
  CollectGarbageResponseSchema,
  CreatePlatformResponseSchema,
  DriftResponseSchema,
  EnrollNodeResponseSchema,
  AcceptPlatformResponseSchema, RotateBinpkgKeyResponseSchema, RotateCommandKeyResponseSchema,
  ExplainResponseSchema,
  FleetControlService,
  GetPlanResponseSchema,
  ListBuildsResponseSchema,
  ListNodesResponseSchema,
  ListPlatformsResponseSchema,
  type Rollout,
  RolloutSchema,
  StreamBuildLogResponseSchema,
  SyncResponseSchema,
  ApproveResponseSchema,
  WatchBuildsResponseSchema,
  type BuildSummary,
} from "@binfleet/shared/wire";
import * as grpc from "@grpc/grpc-js";
import { apiClientOptions } from "./api-limits.js";
import { type Client, createClient } from "./grpc-bridge.js";

const USAGE = `usage: binfleet [--server HOST:PORT] [--token T | --token-file F] [--ca FILE] [--json] COMMAND …

  nodes [--platform P] [--stale]          nodes, their platform, pending binaries/compiles, state
  platforms                               platforms, node counts, binhost URLs, builder state
  platforms create NAME --from-node NODE  a builder for NODE's platform (none builds it yet), from its reported settings
  plan [--platform P]                     the build list and what nodes would still compile
  approve VARIANT|ATOM… | --all --platform P
  hold ATOM [--platform P] [--reason R]   never build ATOM (nodes keep compiling it)
  unhold ATOM [--platform P]
  builds [--platform P] [--state S] [--watch]
  logs BUILD [--follow]
  sync [--platform P]                     sync builder trees, ask nodes to sync and re-report
  rollout start [--platform P] [--canary N] [--max-in-flight K] [--max-failures PCT] [--window W] [--dry-run] [--watch]
  rollout status|pause|resume|abort [ROLLOUT] [--watch]
  explain NODE [ATOM]                     why NODE would still compile ATOM (or anything)
  drift [--platform P]                    USE deviations that cost extra builds
  gc [--platform P] [--keep N] [--dry-run] remove binaries no node needs (keeping N versions)
  enroll NODE [--out FILE]                the node's enrollment bundle (bus credentials, keys, binhosts), JSON
  enroll-builder NAME [--out FILE]        a builder process's own bus user: the "nats" part of its config, JSON
  accept-platform NODE                    take a node's reports for the new platform it reports (profile upgrade, new CFLAGS)
  keys rotate                             sign commands with a new key; nodes are told to trust it (no re-enrollment)
  keys rotate-binpkg PLATFORM             sign binaries with a new key: nodes trust it first, PKGDIR is re-signed, the old key retired

Environment: BINFLEET_SERVER (default 127.0.0.1:50051), BINFLEET_TOKEN, BINFLEET_TOKEN_FILE, BINFLEET_CA.
--json prints each reply in the proto3 JSON mapping, one object per line.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

type Api = Client<typeof FleetControlService>;

interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly tty: boolean;
}

const stateName = (s: BuildState): string => BuildState[s].toLowerCase().replace(/_/g, "-");
const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const mib = (b: bigint | number): string => `${(Number(b) / 1024 / 1024).toFixed(1)} MiB`;
const ago = (ms: bigint): string => {
  if (ms === 0n) return "never";
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!))).join("  ")).join("\n")}\n`;
}

function rolloutText(r: Rollout): string {
  const count = (s: string): number => r.nodes.filter((n) => n.state === s).length;
  const head = `>>> rollout ${r.id} (${r.options?.platformKey || "all platforms"}): ${r.state}${r.reason === "" ? "" : ` — ${r.reason}`}\n`;
  const summary = `    ${count("succeeded")} succeeded, ${count("updating")} updating, ${count("waiting")} waiting, ${count("offline")} offline, ${count("failed")} failed, ${count("current")} already current\n`;
  const rows = [["NODE", "STATE", "CANARY", "BINARIES", "COMPILES", "DOWNLOAD", "ERROR"]];
  for (const n of r.nodes) rows.push([n.nodeId, n.state, n.canary ? "yes" : "", String(n.binaryCount), String(n.compileCount), mib(n.downloadBytes), n.error.split("\n")[0]!.slice(0, 60)]);
  return head + summary + table(rows);
}

const GLOBAL_WITH_VALUE = ["server", "token", "token-file", "ca"] as const;

/** Takes the global options out wherever they stand (`binfleet plan --json` and `binfleet --json plan` alike). */
function splitGlobalOptions(argv: readonly string[]): { values: Partial<Record<(typeof GLOBAL_WITH_VALUE)[number], string>>; json: boolean; help: boolean; rest: string[] } {
  const values: Partial<Record<(typeof GLOBAL_WITH_VALUE)[number], string>> = {};
  const rest: string[] = [];
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [name, inline] = a.startsWith("--") ? (a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]) : ["", undefined];
    if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") help = true;
    else if ((GLOBAL_WITH_VALUE as readonly string[]).includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      values[name as (typeof GLOBAL_WITH_VALUE)[number]] = v;
    } else rest.push(a);
  }
  return { values, json, help, rest };
}

/** Parses global options, then one command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), tty: process.stdout.isTTY === true }): Promise<number> {
  let api: Api | null = null;
  try {
    const g = splitGlobalOptions(argv);
    const [command, ...cmdArgs] = g.rest;
    if (g.help || command === undefined) {
      io.out(`${USAGE}\n`);
      return g.help ? 0 : 2;
    }
    const server = g.values["server"] ?? process.env["BINFLEET_SERVER"] ?? "127.0.0.1:50051";
    const tokenFile = g.values["token-file"] ?? process.env["BINFLEET_TOKEN_FILE"];
    const token = g.values["token"] ?? process.env["BINFLEET_TOKEN"] ?? (tokenFile === undefined ? undefined : (await readFile(tokenFile, "utf8")).trim());
    const ca = g.values["ca"] ?? process.env["BINFLEET_CA"];
    const creds = ca === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(await readFile(ca));
    api = createClient(FleetControlService, server, creds, apiClientOptions);
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
    return await run(api, metadata, command, cmdArgs, g.json, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`binfleet: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    const e = err as grpc.ServiceError;
    if (typeof e.code === "number") {
      const what =
        e.code === grpc.status.UNAVAILABLE
          ? `cannot reach the coordinator (${e.details})`
          : e.code === grpc.status.DEADLINE_EXCEEDED
            ? "the coordinator did not answer in time"
            : e.details || e.message;
      io.err(`binfleet: error: ${what}\n`);
      return e.code === grpc.status.INVALID_ARGUMENT ? 2 : 1;
    }
    io.err(`binfleet: error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    api?.close();
  }
}

async function run(api: Api, metadata: grpc.Metadata, command: string, args: readonly string[], json: boolean, io: Io): Promise<number> {
  const o = { metadata, deadline: Date.now() + 60_000 };
  const stream = { metadata };
  const emit = <D extends DescMessage>(schema: D, msg: MessageShape<D>, human: () => string): void => {
    io.out(json ? `${toJsonString(schema, msg, { alwaysEmitImplicit: true })}\n` : human());
  };
  const opts = (spec: ParseArgsOptionsConfig) => {
    try {
      return parseArgs({ args: [...args], options: spec ?? {}, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  };
  const platformOpt = { platform: { type: "string" as const, default: "" } };

  switch (command) {
    case "nodes": {
      const a = opts({ ...platformOpt, stale: { type: "boolean", default: false } });
      const r = await api.listNodes({ platformKey: a.values.platform as string, staleOnly: a.values.stale === true }, o);
      emit(ListNodesResponseSchema, r, () =>
        table([["NODE", "PLATFORM", "SNAPSHOT", "LAST REPORT", "BINARY", "COMPILE", "STATE"], ...r.nodes.map((n) => [n.nodeId, n.platformName || n.platformKey, n.snapshotId.slice(0, 24), ago(n.lastReportUnixMs), String(n.pendingBinary), String(n.pendingCompile), n.state])]),
      );
      return 0;
    }
    case "platforms": {
      const a = opts({ "from-node": { type: "string" } });
      if (a.positionals[0] === "create") {
        const name = a.positionals[1];
        const from = a.values["from-node"];
        if (name === undefined || a.positionals.length > 2 || typeof from !== "string") throw new UsageError("platforms create NAME --from-node NODE");
        const r = await api.createPlatform({ name, fromNode: from }, o);
        emit(CreatePlatformResponseSchema, r, () => `>>> platform ${r.name} (${r.key}) made from ${from}: builder root ${r.root}, binhost ${r.binhostUrl}\n>>> ${r.nodesTold.length} nodes told their binhost and key; their builds are queued\n`);
        return 0;
      }
      if (a.positionals.length > 0) throw new UsageError("platforms [create NAME --from-node NODE]");
      const r = await api.listPlatforms({}, o);
      emit(ListPlatformsResponseSchema, r, () => table([["PLATFORM", "KEY", "NODES", "BINHOST", "BUILDER"], ...r.platforms.map((p) => [p.name || "-", p.key, String(p.nodeCount), p.binhostUrl || "-", p.builderState])]));
      return 0;
    }
    case "plan": {
      const a = opts(platformOpt);
      const r = await api.getPlan({ platformKey: a.values.platform as string }, o);
      emit(GetPlanResponseSchema, r, () => {
        let t = `\nThese are the variants that would be built, in order (${r.items.length} for ${r.nodes} nodes):\n\n`;
        for (const i of r.items) t += `[${pad(stateName(i.state), 16)}] ${i.cpv} USE="${i.use.join(" ")}" ${i.variantId.slice(0, 12)} (wanted by ${i.wantedByCount})\n`;
        if (r.localCompiles.length > 0) {
          t += `\nNodes would still compile (${r.localCompiles.length}):\n\n`;
          for (const l of r.localCompiles) t += ` * ${l.nodeId}: ${l.cpv}: ${l.reason}\n`;
        }
        const waiting = r.items.filter((i) => i.state === BuildState.WAITING_APPROVAL).length;
        if (waiting > 0) t += `\n * ${waiting} variants wait for approval: binfleet approve ID…|ATOM…|--all --platform P\n`;
        return t;
      });
      return 0;
    }
    case "approve": {
      const a = opts({ ...platformOpt, all: { type: "boolean", default: false } });
      const r = await api.approve({ variantIds: a.positionals, all: a.values.all === true, platformKey: a.values.platform as string }, o);
      emit(ApproveResponseSchema, r, () => `>>> approved ${r.approved.length} variants; they are queued for building\n`);
      return 0;
    }
    case "hold":
    case "unhold": {
      const a = opts({ ...platformOpt, reason: { type: "string", default: "" } });
      const atom = a.positionals[0];
      if (atom === undefined || a.positionals.length > 1) throw new UsageError(`${command} takes one atom`);
      if (command === "hold") await api.hold({ atom, platformKey: a.values.platform as string, reason: a.values.reason as string }, o);
      else await api.unhold({ atom, platformKey: a.values.platform as string }, o);
      io.out(json ? `${JSON.stringify({ atom, held: command === "hold" })}\n` : `>>> ${atom} ${command === "hold" ? "held: it will not be built" : "no longer held"}\n`);
      return 0;
    }
    case "builds": {
      const a = opts({ ...platformOpt, state: { type: "string", multiple: true, default: [] }, watch: { type: "boolean", default: false } });
      const states = (a.values.state as string[]).map((s) => {
        const v = BuildState[s.toUpperCase().replace(/-/g, "_") as keyof typeof BuildState];
        if (v === undefined) throw new UsageError(`unknown build state ${s}`);
        return v;
      });
      const line = (b: BuildSummary): string => {
        const r = b.result;
        const took = r !== undefined && r.finishedAtUnixMs > 0n ? ` ${((Number(r.finishedAtUnixMs) - Number(r.startedAtUnixMs)) / 1000).toFixed(1)}s` : "";
        return `${(b.job?.id ?? "").slice(0, 12)}  [${pad(stateName(r?.state ?? BuildState.UNSPECIFIED), 16)}] ${b.job?.cpv} USE="${b.job?.use.join(" ")}"${r?.builder ? ` on ${r.builder}` : ""}${took}${r?.error ? ` — ${r.error}` : ""}\n`;
      };
      const r = await api.listBuilds({ platformKey: a.values.platform as string, states }, o);
      emit(ListBuildsResponseSchema, r, () => r.builds.map(line).join(""));
      if (a.values.watch === true) for await (const ev of api.watchBuilds({ platformKey: a.values.platform as string }, stream)) emit(WatchBuildsResponseSchema, ev, () => line(ev.build!));
      return 0;
    }
    case "logs": {
      const a = opts({ follow: { type: "boolean", short: "f", default: false } });
      const id = a.positionals[0];
      if (id === undefined) throw new UsageError("logs takes a build id (see binfleet builds)");
      for await (const chunk of api.streamBuildLog({ jobId: id, follow: a.values.follow === true }, stream)) emit(StreamBuildLogResponseSchema, chunk, () => `${chunk.lines.join("\n")}\n`);
      return 0;
    }
    case "sync": {
      const a = opts(platformOpt);
      const r = await api.sync({ platformKey: a.values.platform as string }, { metadata, deadline: Date.now() + 3600_000 });
      emit(SyncResponseSchema, r, () => {
        let t = `>>> builder trees synced${r.failedPlatforms.length > 0 ? ` (failed: ${r.failedPlatforms.join(", ")})` : ""}; ${r.nodesAsked} nodes asked to sync and re-report\n`;
        if (r.nodesNotReported.length > 0) t += ` * no new report in time from: ${r.nodesNotReported.join(" ")}\n`;
        if (r.fetchFailedPlatforms.length > 0) t += ` * fetching distfiles failed for: ${r.fetchFailedPlatforms.join(" ")}\n`;
        return `${t}>>> ${r.pendingVariants} variants to build, ${r.waitingApproval} waiting for approval (binfleet plan)\n`;
      });
      return r.failedPlatforms.length + r.fetchFailedPlatforms.length > 0 ? 1 : 0;
    }
    case "rollout":
      return rollout(api, metadata, args, json, io);
    case "explain": {
      const a = opts({});
      const [node, atom] = a.positionals;
      if (node === undefined || a.positionals.length > 2) throw new UsageError("explain takes a node and optionally an atom");
      const r = await api.explain({ nodeId: node, atom: atom ?? "" }, o);
      emit(ExplainResponseSchema, r, () => {
        let t = "";
        for (const e of r.explanations) t += ` * ${e.cpv}: ${e.reason}${e.differingFlags.length > 0 ? ` [${e.differingFlags.join(" ")}]` : ""}\n     ${e.detail}\n`;
        return t === "" ? `>>> ${r.nodeId} has nothing pending: it is current\n` : `>>> ${r.nodeId} (${r.platformKey}):\n${t}`;
      });
      return 0;
    }
    case "drift": {
      const a = opts(platformOpt);
      const r = await api.drift({ platformKey: a.values.platform as string }, o);
      emit(DriftResponseSchema, r, () => table([["PACKAGE", "FLAGS", "NODES", "EXTRA VARIANTS"], ...r.entries.map((e) => [e.cp, e.flags.join(" "), String(e.nodeCount), String(e.extraVariants)])]) || ">>> no USE drift: every package is built one way\n");
      return 0;
    }
    case "gc": {
      const a = opts({ ...platformOpt, keep: { type: "string", default: "1" }, "dry-run": { type: "boolean", default: false } });
      const keep = Number(a.values.keep);
      if (!Number.isInteger(keep) || keep < 1) throw new UsageError("--keep takes a whole number of versions, at least 1");
      const r = await api.collectGarbage({ platformKey: a.values.platform as string, keepVersions: keep, dryRun: a.values["dry-run"] === true }, { metadata, deadline: Date.now() + 600_000 });
      emit(CollectGarbageResponseSchema, r, () => `${r.removed.map((x) => `${a.values["dry-run"] === true ? "would remove" : "removed"} ${x}\n`).join("")}>>> ${r.removed.length} binaries, ${mib(r.freedBytes)}${a.values["dry-run"] === true ? " (dry run)" : ""}\n`);
      return 0;
    }
    case "accept-platform": {
      const a = opts({});
      if (a.positionals.length !== 1) throw new UsageError("accept-platform takes one node id");
      const r = await api.acceptPlatform({ nodeId: a.positionals[0]! }, o);
      emit(AcceptPlatformResponseSchema, r, () => `>>> ${r.nodeId} is now on platform ${r.platformKey} (was ${r.previousPlatformKey}); asked for a fresh report\n`);
      return 0;
    }
    case "keys": {
      const a = opts({});
      if (a.positionals[0] === "rotate-binpkg" && a.positionals.length === 2) {
        const r = await api.rotateBinpkgKey({ platformKey: a.positionals[1]! }, o);
        emit(RotateBinpkgKeyResponseSchema, r, () => {
          const lines = [`>>> binaries of ${a.positionals[1]} are now signed with key ${r.fingerprint} (was ${r.previousFingerprint}); ${r.nodesTold.length} nodes told to trust it first`, `>>> ${r.resigned} binaries in PKGDIR signed again`];
          if (r.previousRetired) lines.push(`>>> key ${r.previousFingerprint} retired: nodes no longer trust it`);
          else lines.push(` * gpkg-sign refused ${r.failed.length} binaries (${r.failed.slice(0, 5).join(", ")}): key ${r.previousFingerprint} stays trusted; see the coordinator's log, then run this again`);
          return `${lines.join("\n")}\n`;
        });
        return r.previousRetired ? 0 : 1;
      }
      if (a.positionals[0] !== "rotate" || a.positionals.length > 1) throw new UsageError("keys rotate | keys rotate-binpkg PLATFORM");
      const r = await api.rotateCommandKey({}, o);
      emit(RotateCommandKeyResponseSchema, r, () => `>>> commands are now signed with key ${r.keyId} (was ${r.previousKeyId}); ${r.nodesTold.length} nodes told to trust it, in order\n`);
      return 0;
    }
    case "enroll": {
      const a = opts({ out: { type: "string" } });
      const node = a.positionals[0];
      if (node === undefined || a.positionals.length > 1) throw new UsageError("enroll takes one node id");
      const r = await api.enrollNode({ nodeId: node }, o);
      if (r.natsPassword === "") io.err(`the bus is an external cluster: give ${r.natsUser} its password from the cluster's authorization (nats.pass in the agent's config) before binfleet-agent enroll\n`);
      const text = `${toJsonString(EnrollNodeResponseSchema, r, { alwaysEmitImplicit: true })}\n`;
      if (typeof a.values.out === "string") {
        // It holds the node's bus password: readable by root only.
        await writeFile(a.values.out, text, { mode: 0o600 });
        io.out(json ? `${JSON.stringify({ node, bundle: a.values.out })}\n` : `>>> ${node} enrolled; bundle written to ${a.values.out} (install it on the node)\n`);
      } else io.out(text);
      return 0;
    }
    case "enroll-builder": {
      const a = opts({ out: { type: "string" } });
      const name = a.positionals[0];
      if (name === undefined || a.positionals.length > 1) throw new UsageError("enroll-builder takes one builder name");
      const r = await api.enrollBuilder({ name }, o);
      // The part of `binfleet-coordinator builder`'s config file that names its bus user.
      const text = `${JSON.stringify({ nats: { urls: r.natsUrls, user: r.natsUser, pass: r.natsPassword } }, null, 2)}\n`;
      if (r.natsCaPem !== "") io.err("the bus speaks TLS: give the builder the bus's CA (the coordinator's nats.ca) as nats.ca\n");
      if (typeof a.values.out === "string") {
        await writeFile(a.values.out, text, { mode: 0o600 });
        io.out(json ? `${JSON.stringify({ builder: name, user: r.natsUser, config: a.values.out })}\n` : `>>> builder ${name} enrolled as bus user ${r.natsUser}; its nats config written to ${a.values.out}\n`);
      } else io.out(text);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function rollout(api: Api, metadata: grpc.Metadata, args: readonly string[], json: boolean, io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const o = { metadata, deadline: Date.now() + 60_000 };
  let a;
  try {
    a = parseArgs({
      args: rest,
      options: {
        platform: { type: "string", default: "" },
        canary: { type: "string", default: "1" },
        "max-in-flight": { type: "string", default: "5" },
        "max-failures": { type: "string", default: "0" },
        window: { type: "string", default: "" },
        "dry-run": { type: "boolean", default: false },
        watch: { type: "boolean", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const num = (name: string, v: unknown): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a number`);
    return n;
  };
  const show = (r: Rollout): void => io.out(json ? `${toJsonString(RolloutSchema, r, { alwaysEmitImplicit: true })}\n` : rolloutText(r));
  let r: Rollout | undefined;
  if (sub === "start") {
    const options = {
      platformKey: a.values.platform as string,
      canary: num("canary", a.values.canary),
      maxInFlight: Math.max(1, num("max-in-flight", a.values["max-in-flight"])),
      maxFailurePercent: num("max-failures", String(a.values["max-failures"]).replace(/%$/, "")),
      window: a.values.window as string,
      dryRun: a.values["dry-run"] === true,
    };
    r = (await api.startRollout({ options }, o)).rollout;
  } else if (sub === "status") {
    r = (await api.getRollout({ rolloutId: a.positionals[0] ?? "" }, o)).rollout;
  } else if (sub === "pause" || sub === "resume" || sub === "abort") {
    r = (await api.controlRollout({ rolloutId: a.positionals[0] ?? "", action: sub }, o)).rollout;
  } else {
    throw new UsageError("rollout start|status|pause|resume|abort");
  }
  if (r === undefined) throw new Error("the coordinator sent no rollout");
  if (a.values.watch !== true || a.values["dry-run"] === true) {
    show(r);
    return r.state === "halted" ? 1 : 0;
  }
  let shownLines = 0;
  for await (const ev of api.watchRollout({ rolloutId: r.id }, { metadata })) {
    r = ev.rollout!;
    if (json || !io.tty) {
      // Plain lines for logs and pipes: the summary only.
      if (json) show(r);
      else io.out(rolloutText(r).split("\n").slice(0, 2).join("\n") + "\n");
    } else {
      // On a terminal, redraw the status table in place.
      const text = rolloutText(r);
      io.out(`${shownLines > 0 ? `\x1b[${shownLines}A\x1b[J` : ""}${text}`);
      shownLines = text.split("\n").length - 1;
    }
  }
  if (!json && !io.tty) io.out(rolloutText(r));
  return r.state === "halted" || r.state === "aborted" ? 1 : 0;
}
