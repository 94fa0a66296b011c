import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { makeSigningKey, trustKey } from "./gpg-test-keys.js";
import { type OpenPgpSigningKey, clearSignature, detachedSignature, readExportedSigningKey } from "./openpgp-signature.js";
import { gpgVerify } from "./signing.js";

describe("OpenPGP signatures made in the process, as gpg makes them", () => {
  let tmp: string;
  let signer: string;
  let verifier: string;
  let fpr: string;
  let key: OpenPgpSigningKey;
  const gpg = (home: string, args: string[], input?: Buffer | string) => execa("gpg", ["--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { input: input ?? "", encoding: "buffer", reject: false });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-pgp-"));
    signer = join(tmp, "signer");
    verifier = join(tmp, "verifier");
    const made = await makeSigningKey(signer);
    fpr = made.fpr;
    await trustKey(verifier, made.pub, made.fpr);
    const exported = await gpg(signer, ["--export-secret-keys", fpr]);
    key = readExportedSigningKey(Buffer.from(exported.stdout))!;
  });
  after(async () => {
    for (const home of [signer, verifier]) await execa("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { reject: false });
    await rm(tmp, { recursive: true, force: true });
  });

  test("the exported key is read with the fingerprint gpg gives it", () => {
    assert.equal(key.fingerprint, fpr);
  });

  test("a detached signature verifies with gpg, and its packet is laid out as gpg's", async () => {
    const data = Buffer.from("image.tar.zst\n".repeat(50));
    const created = Math.floor(Date.now() / 1000);
    const ours = detachedSignature(key, data, "SHA512", created)!;
    const r = await gpgVerify(verifier, ours.armored, data);
    assert.equal(r.ok, true, r.raw);
    assert.match(r.raw, new RegExp(`VALIDSIG ${fpr} \\S+ ${created} 0 4 0 22 10 00 ${fpr}`));
    assert.equal((await gpgVerify(verifier, ours.armored, Buffer.from("other"))).ok, false);
    // gpg signing at the same second: Ed25519 is deterministic, so the packets are the same to the
    // bit (signed a second apart, the two signatures' numbers differ and so do their bit counts).
    const theirs = await gpg(signer, ["--armor", "--detach-sig", "--digest-algo", "SHA512", "--local-user", fpr, "--faked-system-time", `${created}!`], data);
    const packets = async (armored: Buffer): Promise<string> => Buffer.from((await gpg(signer, ["--list-packets"], armored)).stdout).toString();
    assert.equal(await packets(ours.armored), await packets(Buffer.from(theirs.stdout)));
    assert.match(ours.armored.toString(), /^-----BEGIN PGP SIGNATURE-----\n\n[A-Za-z0-9+/=\n]+\n=[A-Za-z0-9+/]{4}\n-----END PGP SIGNATURE-----\n$/);
  });

  test("a clear-signed text reads as gpg's, and verifies with gpg", async () => {
    for (const text of ["DATA metadata.tar.zst 10 BLAKE2B aa SHA512 bb\nDATA image.tar.zst 20 BLAKE2B cc SHA512 dd\n", "- a dash line\nFrom the start  \ntrailing blanks \t\nno final newline", "\n\nblank lines first\n\n"]) {
      const ours = clearSignature(key, Buffer.from(text), "SHA256", Math.floor(Date.now() / 1000))!;
      const theirs = Buffer.from((await gpg(signer, ["--clear-sign", "--digest-algo", "SHA256", "--local-user", fpr], text)).stdout).toString();
      const cleartext = (s: string): string => s.slice(0, s.indexOf("-----BEGIN PGP SIGNATURE-----"));
      assert.equal(cleartext(ours.armored.toString()), cleartext(theirs), JSON.stringify(text));
      const r = await gpgVerify(verifier, ours.armored);
      assert.equal(r.ok, true, `${JSON.stringify(text)}: ${r.raw}`);
      assert.match(r.raw, / 22 8 01 /, "EdDSA, SHA256, canonical text");
      const tampered = Buffer.from(ours.armored.toString().replace(/^(DATA|- a dash|no final|blank)/m, "X$1"));
      assert.equal((await gpgVerify(verifier, tampered)).ok, false);
    }
  });

  test("keys the simulator does not sign with itself are not read", async () => {
    assert.equal(readExportedSigningKey(Buffer.from("not a key")), null);
    const exported = Buffer.from((await gpg(signer, ["--export-secret-keys", fpr])).stdout);
    for (const cut of [1, 10, 40, 80]) assert.equal(readExportedSigningKey(exported.subarray(0, cut)), null, `cut at ${cut}`);
    // A public key only: no secret.
    assert.equal(readExportedSigningKey(Buffer.from((await gpg(signer, ["--export", fpr])).stdout)), null);
    // A key protected with a passphrase.
    const protectedHome = join(tmp, "protected");
    await execa("mkdir", ["-m", "700", protectedHome]);
    // Protected all the same, without gpg-agent's 2.5 CPU-s of calibrated key stretching.
    await writeFile(join(protectedHome, "gpg-agent.conf"), "s2k-count 65536\n");
    await execa("gpg", ["--homedir", protectedHome, "--batch", "--pinentry-mode", "loopback", "--passphrase", "secret", "--quick-gen-key", "P <p@binfleet.invalid>", "ed25519", "sign", "never"]);
    const prot = await execa("gpg", ["--homedir", protectedHome, "--batch", "--pinentry-mode", "loopback", "--passphrase", "secret", "--export-secret-keys"], { encoding: "buffer" });
    assert.ok(Buffer.from(prot.stdout).length > 0);
    assert.equal(readExportedSigningKey(Buffer.from(prot.stdout)), null);
    await execa("gpgconf", ["--homedir", protectedHome, "--kill", "gpg-agent"], { reject: false });
  });
});
