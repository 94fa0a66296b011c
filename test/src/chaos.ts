import { inboxPrefix, streams, subjects } from "@binfleet/bus";
// npm run chaos: hostile input against every parser and validator at a trust boundary (configuration
// typos included), forged traffic and consumers against the bus permissions, hostile requests, churn
// and hang-ups at the binhost, and reports across a broker restart. Last line: one JSON object with
// hostileInputs, crashes, lostReports, duplicateBuilds, unauthorizedAccepted, binhost.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { AgentConfigSchema } from "@binfleet/agent";
import { Coordinator, CoordinatorConfigSchema, ReportRejectedError, coordinatorConfig, validateReport } from "@binfleet/coordinator/internal";
import { startNatsServer } from "@binfleet/nats-server";
import { CommandRejectedError, ConfigError, GlsaFormatError, PortageFormatError, parseAtom, parseConfigText, parseEmergePretend, parseGlsa, parsePackagesIndex, signCommand, verifySignedCommand } from "@binfleet/shared";
import { createLogger } from "@binfleet/daemon";
import { glsaXml, reportPlatform } from "@binfleet/shared/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { abuseBinhost } from "./binhost-abuse.js";
import { buildOnFullDisk } from "./binhost-disk-full.js";
import { agentReport, reportThroughClusterKill } from "./cluster-reports.js";

const json = process.argv.includes("--json");
const say = (t: string): void => void (json || process.stdout.write(`${t}\n`));
const TOTAL = Number(process.env["BINFLEET_CHAOS_INPUTS"] ?? 100_000);

let seed = 0x9e3779b9;
const rand = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

function mutate(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const edits = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * out.length);
    const r = rand();
    if (r < 0.6) out[at] = Math.floor(rand() * 256);
    else if (r < 0.8) return out.slice(0, at);
    else return Uint8Array.from([...out.slice(0, at), ...randomBytes(Math.floor(rand() * 32)), ...out.slice(at)]);
  }
  return out;
}
const mutateText = (t: string): string => new TextDecoder().decode(mutate(new TextEncoder().encode(t)));

const PACKAGES = "ARCH: amd64\nPACKAGES: 1\nTIMESTAMP: 1790000000\nVERSION: 0\n\nBUILD_ID: 1\nCPV: dev-libs/openssl-3.0.14\nIUSE: asm +zlib\nMD5: 0123456789abcdef0123456789abcdef\nPATH: dev-libs/openssl/openssl-3.0.14-1.gpkg.tar\nSIZE: 1024\nUSE: amd64 asm\n\n";
const PRETEND =
  "\nThese are the packages that would be merged, in order:\n\nCalculating dependencies... done!\nDependency resolution took 1.23 s (backtrack: 0/20).\n\n" +
  '[ebuild     U  ] dev-libs/openssl-3.0.14:0/3::gentoo [3.0.13:0/3::gentoo] USE="asm -zlib" ABI_X86="(64) -32" 17,734 KiB\n' +
  '[binary   R    ] sys-libs/zlib-1.3.1-r1-1:0/1::gentoo  USE="minizip -static-libs" 0 KiB\n\nTotal: 2 packages (1 upgrade, 1 reinstall, 1 binary), Size of downloads: 17,734 KiB\n';
const GLSA = glsaXml('<package name="dev-libs/openssl" auto="yes" arch="*"><unaffected range="ge">3.0.14</unaffected><vulnerable range="lt">3.0.14</vulnerable></package>', { id: "202611-01" });
const DOCTYPE = '<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd">';
/** What a hostile tree may put in metadata/glsa/: mutations, entity bombs, broken ranges and versions, deep nesting. */
const HOSTILE_GLSA: readonly (() => string)[] = [
  () => mutateText(GLSA),
  () => GLSA.replace(DOCTYPE, `<!DOCTYPE glsa SYSTEM "http://www.gentoo.org/dtd/glsa.dtd" [<!ENTITY a "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join("")}]>`).replace("3.0.14</vulnerable>", "&j;</vulnerable>"),
  () => GLSA.replace('range="lt"', `range="${pick(["lt ", "below", "", "LT", "rlt\u0007", "ge lt"])}"`),
  () => GLSA.replace(">3.0.14</vulnerable>", `>${pick(["3..0", "", "-1", "3.0.14**", "1.0_foo", "a".repeat(20_000)])}</vulnerable>`),
  () => GLSA.replace("<affected>", `<affected>${"<x>".repeat(5000)}`),
];
const ATOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz-_+/.:=<>~*![]?,()0123456789 @αβ";

/** Valid configurations, and the objects in them whose keys are the schema's (not free-form records such as `env`). */
const CONFIGS: readonly { schema: Parameters<typeof parseConfigText>[0]; value: object; objects: readonly (readonly (string | number)[])[] }[] = [
  {
    schema: CoordinatorConfigSchema,
    value: { stateDir: "/var/lib/binfleet", nats: { urls: [], embeddedPort: 4222 }, http: { host: "0.0.0.0", port: 8080 }, platforms: [{ name: "amd64", key: "k", root: "/var/lib/binfleet/builders/amd64", workers: 1 }], policy: { requireApproval: true, hold: ["dev-libs/openssl"] }, api: { tokens: [{ name: "ops", token: "x".repeat(32), role: "admin" }] }, schedule: { nightly: "02:30" } },
    objects: [[], ["nats"], ["http"], ["platforms", 0], ["policy"], ["api"], ["api", "tokens", 0], ["schedule"]],
  },
  {
    schema: AgentConfigSchema,
    value: { nodeId: "node-a", nats: { urls: ["nats://binhost:4222"], user: "node-a", pass: "p" }, coordinatorKeys: { k1: "AAAA" }, portage: { env: { BINFLEET_SIM_SPEED: "0" } } },
    objects: [[], ["nats"], ["portage"]],
  },
];

/** A configuration with one key mistyped as people do: a letter dropped, doubled, swapped with the next, or in the wrong case. */
function mistyped(c: (typeof CONFIGS)[number]): string {
  const doc = structuredClone(c.value) as Record<string, unknown>;
  const obj = pick(c.objects).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, doc);
  const key = pick(Object.keys(obj));
  for (;;) {
    const at = Math.floor(rand() * key.length);
    const typo = pick([
      () => key.slice(0, at) + key.slice(at + 1),
      () => key.slice(0, at) + key[at] + key.slice(at),
      () => key.slice(0, at) + (key[at + 1] ?? "") + key[at] + key.slice(at + 2),
      () => key.slice(0, at) + (key[at] === key[at]!.toUpperCase() ? key[at]!.toLowerCase() : key[at]!.toUpperCase()) + key.slice(at + 1),
    ])();
    if (typo !== key && typo !== "" && !(typo in obj)) {
      obj[typo] = obj[key];
      delete obj[key];
      return JSON.stringify(doc);
    }
  }
}

async function main(): Promise<number> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const keys = new Map([["k1", publicKey]]);
  const now = Date.now();
  const goodCommand = signCommand({ id: "c-1", nodeId: "node-a", sequence: 5n, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 60_000), action: { case: "update", value: {} } }, privateKey, "k1");
  const expired = signCommand({ id: "c-2", nodeId: "node-a", sequence: 6n, issuedAtUnixMs: BigInt(now - 120_000), expiresAtUnixMs: BigInt(now - 60_000), action: { case: "update", value: {} } }, privateKey, "k1");
  const forgedKey = generateKeyPairSync("ed25519").privateKey;
  const forged = signCommand({ id: "c-3", nodeId: "node-a", sequence: 7n, issuedAtUnixMs: BigInt(now), expiresAtUnixMs: BigInt(now + 60_000), action: { case: "update", value: {} } }, forgedKey, "k1");
  const report = agentReport("node-a");
  // This node's settings filed under another platform's key (its variants would land on that platform).
  const misfiled = agentReport("node-a", { ...reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu" }), key: reportPlatform({ arch: "amd64", chost: "x86_64-pc-linux-gnu", cflags: "-O2 -march=znver4" }).key });
  const verify = (data: Uint8Array, seen: string[] = []): unknown =>
    verifySignedCommand(data, { nodeId: "node-a", keys, now: Date.now(), maxBytes: 64 * 1024, state: { lastSequence: 5n - (seen.length > 0 ? 0n : 1n), seenIds: new Set(seen) } });

  /** Each case returns normally (accepted) or throws one of our named errors (rejected with a reason). */
  const cases: { name: string; run: () => unknown; mustReject: boolean }[] = [
    { name: "random bytes as a report", run: () => validateReport("binfleet.report.node-a", randomBytes(Math.floor(rand() * 2048)), 8 << 20), mustReject: false },
    { name: "mutated report", run: () => validateReport("binfleet.report.node-a", mutate(report), 8 << 20), mustReject: false },
    { name: "report under another platform's key", run: () => validateReport("binfleet.report.node-a", misfiled, 8 << 20), mustReject: true },
    { name: "report for another node", run: () => validateReport(`binfleet.report.node-${Math.floor(rand() * 1000) + 1}`, report, 8 << 20), mustReject: true },
    { name: "random bytes as a command", run: () => verify(randomBytes(Math.floor(rand() * 512))), mustReject: true },
    { name: "mutated command", run: () => verify(mutate(goodCommand)), mustReject: false },
    { name: "replayed command", run: () => verify(goodCommand, ["c-1"]), mustReject: true },
    { name: "expired command", run: () => verify(expired), mustReject: true },
    { name: "forged command", run: () => verify(forged), mustReject: true },
    { name: "hostile atom", run: () => parseAtom(Array.from({ length: Math.floor(rand() * 80) }, () => pick([...ATOM_ALPHABET])).join("")), mustReject: false },
    { name: "huge atom", run: () => parseAtom(`>=dev-libs/${"a-1".repeat(10_000 + Math.floor(rand() * 20_000))}[${"x,".repeat(5000)}]`), mustReject: false },
    { name: "mutated Packages", run: () => parsePackagesIndex(mutateText(PACKAGES)), mustReject: false },
    { name: "mutated emerge output", run: () => parseEmergePretend(mutateText(PRETEND)), mustReject: false },
    { name: "long emerge line", run: () => parseEmergePretend(`[ebuild  N    ] ${"x".repeat(50_000)} USE="${"a ".repeat(20_000)}"\n`), mustReject: false },
    { name: "hostile GLSA", run: () => parseGlsa(pick(HOSTILE_GLSA)()), mustReject: false },
    { name: "configuration with a mistyped key", run: () => ((c) => parseConfigText(c.schema, mistyped(c), "chaos.json"))(pick(CONFIGS)), mustReject: true },
    { name: "mutated configuration", run: () => ((c) => parseConfigText(c.schema, mutateText(JSON.stringify(c.value)), "chaos.json"))(pick(CONFIGS)), mustReject: false },
  ];
  const ours = (e: unknown): boolean => e instanceof ReportRejectedError || e instanceof CommandRejectedError || e instanceof PortageFormatError || e instanceof GlsaFormatError || e instanceof ConfigError;
  let rejected = 0;
  let crashes = 0;
  let wronglyAccepted = 0;
  let slowest = { ms: 0, name: "" };
  const crashSamples: string[] = [];
  const started = performance.now();
  for (let i = 0; i < TOTAL; i++) {
    const c = cases[i % cases.length]!;
    const t = performance.now();
    try {
      c.run();
      if (c.mustReject) wronglyAccepted++;
    } catch (err) {
      if (ours(err)) rejected++;
      else {
        crashes++;
        if (crashSamples.length < 5) crashSamples.push(`${c.name}: ${(err as Error)?.stack?.split("\n").slice(0, 2).join(" ") ?? String(err)}`);
      }
    }
    const ms = performance.now() - t;
    if (ms > slowest.ms) slowest = { ms, name: c.name };
  }
  // A 50 MB report is refused before it is decoded, a 50 MB advisory before it is parsed.
  let oversizedRefused = false;
  try {
    validateReport("binfleet.report.node-a", new Uint8Array(50 * 1024 * 1024), 8 << 20);
  } catch (err) {
    oversizedRefused = err instanceof ReportRejectedError && err.reason === "too-large";
  }
  try {
    parseGlsa(new Uint8Array(50 * 1024 * 1024));
    oversizedRefused = false;
  } catch (err) {
    oversizedRefused &&= err instanceof GlsaFormatError && err.reason === "too-large";
  }
  say(`hostile inputs: ${TOTAL} in ${Math.round(performance.now() - started)} ms; ${rejected} rejected with a reason, ${crashes} crashes, ${wronglyAccepted} accepted that must not be; slowest ${slowest.ms.toFixed(1)} ms (${slowest.name}); 50 MB report and advisory refused: ${oversizedRefused}`);
  for (const s of crashSamples) say(`  crash: ${s}`);

  // The bus: a node forging another node's traffic, and a builder forging anyone's, against the embedded server's permissions.
  const dir = await mkdtemp(join(tmpdir(), "binfleet-chaos-"));
  let unauthorizedAccepted = 0;
  let lostReports = 0;
  const log = createLogger({ name: "chaos", level: "error", destination: new PassThrough() });
  const coordinator = await Coordinator.create(coordinatorConfig({ stateDir: join(dir, "coordinator"), nats: { urls: [], embeddedPort: 0 }, http: { host: "127.0.0.1", port: 0 }, api: { host: "127.0.0.1", port: 0 } }), log);
  try {
    await coordinator.start();
    const admin = { name: "chaos", role: "admin" } as const;
    const a = await coordinator.enrollment.enrollNode("node-a", admin);
    await coordinator.enrollment.enrollNode("node-b", admin);
    const b = await coordinator.enrollment.enrollBuilder("b1", admin);
    const FORGED = 200;
    const forgers = [
      { who: "node-a as node-b, on commands and on the build queue", creds: a, targets: [subjects.report("node-b"), subjects.progress("node-b"), subjects.command("node-b"), subjects.command("node-a"), "binfleet.build.amd64"] },
      { who: "builder b1 as a node, the coordinator and an admin", creds: b, targets: [subjects.report("node-a"), subjects.command("node-a"), "binfleet.build.amd64", "$KV.binfleet-policy.approval.x", "$KV.binfleet-binpkg-keys.amd64"] },
    ];
    for (const f of forgers) {
      const nc = await connect({ servers: coordinator.natsUrl, user: f.creds.user, pass: f.creds.pass, inboxPrefix: inboxPrefix(f.creds.user) });
      const js = jetstream(nc, { timeout: 1000 });
      for (let i = 0; i < FORGED; i++) {
        await js.publish(pick(f.targets), agentReport("node-b"), { msgID: `forged-${f.creds.user}-${i}` }).then(
          () => void unauthorizedAccepted++,
          () => undefined,
        );
      }
      await nc.close();
    }
    // Consumers that would push a stream onto others' subjects (a node's commands): by every create
    // subject, on every stream and bucket; a builder and a node may create none.
    const all = [...Object.values(streams).map((s) => s.name), "BINFLEET_BUILDS", "BINFLEET_BUILD_LOGS", ...["builds", "policy", "rollouts", "binpkg-keys", "queued-work", "platform-pins", "platforms"].map((b) => `KV_binfleet-${b}`)];
    let consumerAttempts = 0;
    for (const creds of [b, a]) {
      const nc = await connect({ servers: coordinator.natsUrl, user: creds.user, pass: creds.pass, inboxPrefix: inboxPrefix(creds.user) });
      for (const stream of all) {
        const push = { deliver_subject: subjects.command("node-b"), ack_policy: "none" };
        for (const [subject, config] of [
          [`$JS.API.CONSUMER.CREATE.${stream}`, push],
          [`$JS.API.CONSUMER.CREATE.${stream}.forged`, { ...push, name: "forged" }],
          [`$JS.API.CONSUMER.CREATE.${stream}.forged.binfleet.cmd.node-a`, { ...push, name: "forged", filter_subject: "binfleet.cmd.node-a" }],
          [`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.forged`, { ...push, durable_name: "forged" }],
        ] as const) {
          consumerAttempts++;
          const answer = await nc.request(subject, JSON.stringify({ stream_name: stream, config }), { timeout: 500 }).then(
            (m) => m.json<{ error?: unknown }>(),
            () => ({ error: "refused" }),
          );
          if (answer.error === undefined) unauthorizedAccepted++;
        }
      }
      await nc.close();
    }
    const c = coordinator.busCredentials!;
    const check = await connect({ servers: coordinator.natsUrl, user: c.user, pass: c.pass, inboxPrefix: inboxPrefix(c.user) });
    const jsm = await jetstreamManager(check);
    for (const s of [streams.reports.name, streams.progress.name, streams.commands.name, "BINFLEET_BUILDS", "KV_binfleet-policy", "KV_binfleet-binpkg-keys"]) unauthorizedAccepted += (await jsm.streams.info(s)).state.messages;
    await check.close();
    say(`bus: ${FORGED} forged publishes each by ${forgers.map((f) => f.who).join("; by ")}, and ${consumerAttempts} push consumers onto a node's commands by the builder and a node: ${unauthorizedAccepted} accepted`);
  } finally {
    await coordinator.shutdown();
  }

  // Reports across a broker restart: publishers retry until JetStream acknowledges; none may be lost or doubled.
  const server = await startNatsServer({ dir: join(dir, "nats") });
  try {
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ ...streams.reports, subjects: [...streams.reports.subjects], max_msgs_per_subject: -1 });
    const js = jetstream(nc, { timeout: 2000 });
    const REPORTS = 1000;
    const restartAt = 400;
    let retries = 0;
    for (let i = 0; i < REPORTS; i++) {
      // The broker goes down and comes back while publishers keep going.
      if (i === restartAt) void server.stop().then(() => server.restart());
      for (;;) {
        try {
          await js.publish(subjects.report(`node-${i % 50}`), agentReport(`node-${i % 50}`), { msgID: `report-${i}` });
          break;
        } catch {
          retries++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const stored = (await jsm.streams.info(streams.reports.name)).state.messages;
    lostReports = REPORTS - stored;
    say(`broker restart while ${REPORTS} reports are published (${retries} publishes retried while it was down): ${stored} stored (${lostReports} lost${stored > REPORTS ? `, ${stored - REPORTS} doubled` : ""})`);
    await nc.close();
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  // A 3-server cluster loses a server (SIGKILL) while 1,000 agents report.
  const clusterDir = await mkdtemp(join(tmpdir(), "binfleet-chaos-cluster-"));
  try {
    const r = await reportThroughClusterKill({ agents: 1000, dir: clusterDir, log });
    const lost = Math.max(r.agents - r.stored, r.agents - r.registered);
    lostReports += lost;
    say(`3-server cluster, server ${r.killed} SIGKILLed and restarted while ${r.agents} agents report (${r.retries} publishes retried): ${r.stored} stored, ${r.registered} nodes registered by the coordinator (${lost} lost)`);
  } finally {
    await rm(clusterDir, { recursive: true, force: true });
  }

  // The binhost's disk fills during builds.
  const diskDir = await mkdtemp(join(tmpdir(), "binfleet-chaos-disk-"));
  let diskFull: Record<string, unknown>;
  try {
    const r = await buildOnFullDisk({ dir: diskDir, log });
    diskFull = { ...r, badEntries: r.badEntries.length, stray: r.stray.length };
    if (r.skipped !== null) say(`disk full on the binhost: skipped (${r.skipped})`);
    else say(`disk full on the binhost: ${r.failedForSpace} builds failed with ENOSPC, ${r.succeeded} fitted; Packages lists ${r.indexEntries} whole files (${r.badEntries.length} bad entries, ${r.stray.length} stray files), served as such; the node takes ${r.nodeBinaries} binaries and would compile ${r.nodeEbuilds}`);
  } finally {
    await rm(diskDir, { recursive: true, force: true });
  }
  // The binhost under an outside probe: hostile requests, a binpkg renamed under its clients, downloads abandoned.
  const binhostDir = await mkdtemp(join(tmpdir(), "binfleet-chaos-binhost-"));
  let binhost: Awaited<ReturnType<typeof abuseBinhost>>;
  try {
    binhost = await abuseBinhost({ dir: binhostDir, hostile: Math.min(2000, TOTAL), rand, log });
    crashes += binhost.crashes + (binhost.serverUp ? 0 : 1);
    say(`binhost: ${binhost.requests} requests (hostile paths and headers, a binpkg renamed under 8 clients, 200 downloads of 64 MiB abandoned): ${binhost.unanswered} unanswered, ${binhost.crashes} uncaught, ${binhost.leakedFiles ?? "(no /proc)"} files left open, ${binhost.serverUp ? "still up" : "down"}; ${JSON.stringify(binhost.byStatus)}`);
  } finally {
    await rm(binhostDir, { recursive: true, force: true });
  }
  const binhostClean = binhost.serverUp && binhost.unanswered === 0 && binhost.crashes === 0 && (binhost.leakedFiles ?? 0) === 0;

  const diskFullClean = diskFull["skipped"] !== null || (diskFull["badEntries"] === 0 && diskFull["stray"] === 0 && diskFull["duplicateBuilds"] === 0 && Number(diskFull["failedForSpace"]) > 0);

  const summary = {
    hostileInputs: TOTAL + 1,
    rejected,
    crashes,
    wronglyAccepted,
    slowestParseMs: Number(slowest.ms.toFixed(2)),
    oversizedRefused,
    unauthorizedAccepted,
    lostReports,
    // Builds run in the disk-full case (null when it was skipped); the crash and builder-failover tests in npm test assert it too.
    duplicateBuilds: diskFull["skipped"] === null ? diskFull["duplicateBuilds"] : null,
    diskFull,
    binhost,
    // In npm test (coordinator-crash.test.ts): SIGKILL mid-build and mid-rollout, an agent offline through a rollout.
    // In npm test rather than here: the coordinator SIGKILLed mid-build and mid-rollout, an agent offline
    // through a rollout (coordinator-crash.test.ts), a builder process SIGKILLed mid-job (builder-failover.test.ts).
    inNpmTest: ["coordinator SIGKILL mid-build", "coordinator SIGKILL mid-rollout", "agent offline through a rollout", "builder SIGKILL mid-job"],
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return crashes === 0 && wronglyAccepted === 0 && unauthorizedAccepted === 0 && lostReports === 0 && oversizedRefused && diskFullClean && binhostClean ? 0 : 1;
}

process.exitCode = await main();
