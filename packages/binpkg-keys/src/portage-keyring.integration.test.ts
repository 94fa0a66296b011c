import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { createSigningKey } from "./binpkg-keys.js";
import { distrustSigningKey, ensureTrustAnchor, keyValidity, trustSigningKey } from "./portage-keyring.js";

/** What Portage's BINPKG_GPG_VERIFY_BASE_COMMAND reports for a detached signature, from this keyring. */
async function portageVerify(home: string, file: string): Promise<string> {
  const r = await execa("gpg", ["--homedir", home, "--verify", "--batch", "--no-tty", "--no-auto-check-trustdb", "--status-fd", "1", `${file}.sig`, file], { reject: false });
  return r.stdout;
}

describe("Portage's keyring kept the way getuto keeps it", () => {
  let tmp: string;
  let binhost: Awaited<ReturnType<typeof createSigningKey>>;
  let signed: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "bk-"));
    binhost = await createSigningKey(join(tmp, "signing"), "binfleet builder amd64 <binpkg@binfleet.invalid>");
    signed = join(tmp, "payload");
    await writeFile(signed, "a binary package\n");
    await execa("gpg", ["--homedir", join(tmp, "signing"), "--batch", "--yes", "--local-user", binhost.fingerprint, "--detach-sign", "--output", `${signed}.sig`, signed]);
    await execa("gpgconf", ["--homedir", join(tmp, "signing"), "--kill", "gpg-agent"], { reject: false });
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  test("a fresh keyring: a local trust anchor, the binhost key locally signed, fully valid, never ultimately trusted; Portage's verify sees TRUST_FULLY", async () => {
    const home = join(tmp, "fresh");
    await trustSigningKey(home, binhost);
    // Gone, not going: a gpg started next would otherwise reach the exiting agent and fail.
    const socket = (await execa("gpgconf", ["--homedir", home, "--list-dirs", "agent-socket"])).stdout.trim();
    assert.equal(await stat(socket).then(() => true, () => false), false, "the agent it started has exited when it returns");
    const anchor = (await readFile(join(home, "mykeyid"), "utf8")).trim();
    assert.equal(await keyValidity(home, anchor), "u", "the keyring's own key is its trust anchor");
    assert.equal(await keyValidity(home, binhost.fingerprint), "f", "the binhost key is valid through the local signature");
    const ownertrust = (await execa("gpg", ["--homedir", home, "--export-ownertrust"])).stdout;
    assert.doesNotMatch(ownertrust, new RegExp(binhost.fingerprint), "no owner trust given to the foreign key");
    assert.match(await portageVerify(home, signed), /\[GNUPG:\] TRUST_FULLY/);
    assert.equal(((await execa("stat", ["-c", "%a", join(home, "trustdb.gpg")])).stdout), "644");
  });

  test("a keyring getuto made keeps its anchor and its other keys (Gentoo's release keys)", async () => {
    const home = join(tmp, "getuto");
    const anchor = await ensureTrustAnchor(home);
    const release = await createSigningKey(join(tmp, "releng"), "Gentoo Linux Release Engineering (Automated Weekly Release Key) <releng@gentoo.org>");
    await trustSigningKey(home, release);
    await trustSigningKey(home, binhost);
    assert.equal((await readFile(join(home, "mykeyid"), "utf8")).trim(), anchor, "the anchor getuto made is used, not replaced");
    assert.equal(await keyValidity(home, release.fingerprint), "f");
    assert.equal(await keyValidity(home, binhost.fingerprint), "f");
    await distrustSigningKey(home, binhost.fingerprint);
    assert.equal(await keyValidity(home, binhost.fingerprint), "");
    assert.equal(await keyValidity(home, release.fingerprint), "f", "removing binfleet's key leaves the others");
    assert.match(await portageVerify(home, signed), /\[GNUPG:\] (NO_PUBKEY|ERRSIG)/);
  });
});
