import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fromJsonString } from "@bufbuild/protobuf";
import { NODE_ID_PATTERN } from "@binfleet/shared";
import { type EnrollNodeResponse, EnrollNodeResponseSchema } from "@binfleet/shared/wire";
import { type AgentConfig, type AgentConfigInput, agentConfig } from "./agent-config.js";
import { isConfigUrl, writeBinreposConf, writeMakeConfSettings, writeReposConf } from "./portage-config-files.js";
import { BinpkgTrust, BinpkgTrustError } from "./binpkg-trust.js";
import { PortageRunner } from "./portage-runner.js";
import { ReportCollector } from "./report-collector.js";

export class EnrollmentError extends Error {
  override readonly name = "EnrollmentError";
}

export interface EnrollmentResult {
  readonly config: AgentConfig;
  readonly platformKey: string;
  /** The binhost this node now uses, or null when no builder serves its platform. */
  readonly binhostUrl: string | null;
  readonly binreposFile: string | null;
  /** The make.conf file that now lists the binhost first in GENTOO_MIRRORS, when the bundle has a distfiles mirror. */
  readonly makeConfFile: string | null;
}

/** The programs a PORTAGE_TRUST_HELPER without a directory is looked up in (as Portage's subprocess does, through PATH). */
const HELPER_PATH = ["usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"];

/**
 * Whether the node's PORTAGE_TRUST_HELPER (getuto by default) exists. Portage runs it before it
 * fetches binaries; where it is missing Portage warns on every `emerge -g` and goes on, so binfleet,
 * which keeps the keyring itself, turns it off there. Where getuto is installed it stays: it only
 * refreshes the keyring and never drops the keys binfleet added.
 */
async function trustHelperMissing(root: string, helper: string): Promise<boolean> {
  if (helper === "") return false;
  const exists = (p: string) => stat(join(root, p)).then((st) => st.isFile(), () => false);
  if (helper.includes("/")) return !(await exists(helper));
  for (const dir of HELPER_PATH) if (await exists(join(dir, helper))) return false;
  return true;
}

/**
 * A URL from the bundle goes into Portage's config files: only plain http(s)/rsync URLs, nothing
 * that could end a line, a quoted value or expand in make.conf (a forged bundle must not inject settings).
 */
function configUrl(value: string, what: string, schemes: readonly string[]): void {
  if (!isConfigUrl(value, schemes)) throw new EnrollmentError(`bundle has an invalid ${what} '${value.slice(0, 80)}'`);
}

/** Reads a bundle from `binfleet enroll` (the FleetControl reply in JSON), refusing anything incomplete. */
export function parseBundle(text: string): EnrollNodeResponse {
  let b: EnrollNodeResponse;
  try {
    b = fromJsonString(EnrollNodeResponseSchema, text);
  } catch (err) {
    throw new EnrollmentError(`not an enrollment bundle: ${(err as Error).message}`, { cause: err });
  }
  if (!NODE_ID_PATTERN.test(b.nodeId)) throw new EnrollmentError(`bundle has an invalid node id '${b.nodeId.slice(0, 64)}'`);
  // The password may be absent: on an external cluster the admin gives it to the node (nats.pass).
  if (b.natsUrls.length === 0 || b.natsUser === "") throw new EnrollmentError("bundle has no bus credentials");
  if (Object.keys(b.coordinatorKeys).length === 0) throw new EnrollmentError("bundle has no coordinator key");
  // Checked before anything is written: a bad bundle changes nothing on the node.
  for (const p of b.platforms) configUrl(p.binhostUrl, "binhost URL", ["http:", "https:"]);
  if (b.repoSyncUri !== "") configUrl(b.repoSyncUri, "repository sync URI", ["rsync:"]);
  if (b.distfilesMirror !== "") configUrl(b.distfilesMirror, "distfiles mirror", ["http:", "https:"]);
  if (b.natsCaPem !== "" && !/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\s*$/.test(b.natsCaPem)) throw new EnrollmentError("bundle has a bus CA that is not a PEM certificate");
  if (!/^[A-Za-z0-9_-]*$/.test(b.repo)) throw new EnrollmentError(`bundle has an invalid repository name '${b.repo.slice(0, 64)}'`);
  return b;
}

/**
 * The node's side of enrollment: write /etc/binfleet/agent.json from the bundle (keeping the
 * local settings of an existing file: root, portage argv, intervals), point Portage at the
 * binhost of this node's platform in its own binrepos.conf file, trust that binhost's
 * binpkg signing key in Portage's keyring, so `emerge -g` verifies what it installs, sync the
 * repository from the binhost's snapshot mirror, and fetch distfiles from the binhost first.
 */
export async function enroll(bundleText: string, configFile: string): Promise<EnrollmentResult> {
  const bundle = parseBundle(bundleText);
  const existing = await readFile(configFile, "utf8").then(
    (t) => JSON.parse(t) as AgentConfigInput,
    () => null,
  );
  const pass = bundle.natsPassword !== "" ? bundle.natsPassword : existing?.nats?.user === bundle.natsUser ? existing.nats.pass : undefined;
  if (pass === undefined || pass === "") {
    throw new EnrollmentError(`the bundle has no bus password (the bus is an external cluster): put ${bundle.natsUser}'s password from its authorization in ${configFile} as nats.user and nats.pass, and enroll again`);
  }
  // The bus's CA beside the agent's config: the agent then connects over TLS only.
  let ca: string | undefined;
  if (bundle.natsCaPem !== "") {
    ca = join(dirname(configFile), "nats-ca.pem");
    await mkdir(dirname(ca), { recursive: true, mode: 0o700 });
    await writeFile(ca, bundle.natsCaPem);
  }
  const config = agentConfig({
    ...(existing ?? {}),
    nodeId: bundle.nodeId,
    nats: { urls: [...bundle.natsUrls], user: bundle.natsUser, pass, ...(ca === undefined ? {} : { ca }) },
    coordinatorKeys: { ...bundle.coordinatorKeys },
  });
  const runner = new PortageRunner(config);
  const collector = new ReportCollector(config, runner);
  const { key } = await collector.platform();
  const platform = bundle.platforms.find((p) => p.key === key) ?? null;
  let binreposFile: string | null = null;
  if (platform !== null) {
    binreposFile = await writeBinreposConf(config.root, platform.binhostUrl, `enroll, this node's binhost (platform ${platform.name})`);
    // Every key of a rotation in progress; a bundle from before rotations existed names only one.
    const keys = platform.binpkgKeys.length > 0 ? platform.binpkgKeys : platform.binpkgPublicKey === "" ? [] : [{ fingerprint: platform.binpkgFingerprint, publicKey: platform.binpkgPublicKey }];
    if (keys.length > 0) {
      await BinpkgTrust.forNode(config.root, config.stateDir)
        .replace(keys)
        .catch((err: unknown) => {
          throw err instanceof BinpkgTrustError ? new EnrollmentError(`bundle for platform ${platform.name}: ${err.message}`, { cause: err }) : err;
        });
    }
  }
  // The fleet's snapshot: the node syncs from the binhost, so its ebuilds are the builders'.
  if (bundle.repoSyncUri !== "") await writeReposConf(config.root, bundle.repo, bundle.repoSyncUri);
  // Distfiles from the binhost first (its DISTDIR as a mirror), the node's own mirrors after it.
  const settings = bundle.distfilesMirror === "" ? [] : [`GENTOO_MIRRORS="${bundle.distfilesMirror} \${GENTOO_MIRRORS}"`];
  const helper = (await runner.envvars(["PORTAGE_TRUST_HELPER"]))["PORTAGE_TRUST_HELPER"] ?? "";
  if (platform !== null && (await trustHelperMissing(config.root, helper))) settings.push('PORTAGE_TRUST_HELPER=""');
  const makeConfFile = settings.length === 0 ? null : await writeMakeConfSettings(config.root, settings);
  await mkdir(dirname(configFile), { recursive: true, mode: 0o700 });
  // It holds the node's bus password: readable by root only.
  await writeFile(`${configFile}.tmp`, `${JSON.stringify({ ...(existing ?? {}), nodeId: config.nodeId, nats: config.nats, coordinatorKeys: config.coordinatorKeys }, null, 2)}\n`, { mode: 0o600 });
  await rename(`${configFile}.tmp`, configFile);
  return { config, platformKey: key, binhostUrl: platform?.binhostUrl ?? null, binreposFile, makeConfFile };
}
