import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import { DigestCache } from "./digest-cache.js";
import { makeSigningKey, trustKey } from "./gpg-test-keys.js";
import { gpgSign, gpgVerify } from "./signing.js";

describe("gpg verification with a shared cache (BINFLEET_SIM_CACHE)", () => {
  let tmp: string;
  let signer: string;
  let key: { fpr: string; pub: string };
  const data = Buffer.from("image.tar.zst bytes");
  let sig: Buffer;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-sim-signing-"));
    signer = join(tmp, "signer");
    key = await makeSigningKey(signer);
    sig = await gpgSign(signer, key.fpr, "SHA512", data, "detach");
  });
  after(async () => {
    await execa("gpgconf", ["--homedir", signer, "--kill", "gpg-agent"], { reject: false });
    await rm(tmp, { recursive: true, force: true });
  });

  test("a good verdict is cached and holds for another home that trusts the key", async () => {
    const cache = new DigestCache(join(tmp, "cache-1"));
    const first = join(tmp, "node-1");
    await trustKey(first, key.pub, key.fpr);
    assert.equal((await gpgVerify(first, sig, data, cache)).ok, true);
    // A second node: the cached verdict is reused (its raw output is gpg's status alone).
    const second = join(tmp, "node-2");
    await trustKey(second, key.pub, key.fpr);
    const r = await gpgVerify(second, sig, data, new DigestCache(cache.dir));
    assert.equal(r.ok, true);
    assert.match(r.raw, /\[GNUPG:\] GOODSIG/);
    assert.doesNotMatch(r.raw, /gpg: Signature made/, "served from the cache, not by gpg");
  });

  test("a cached good verdict does not hold where the key is missing or not trusted", async () => {
    const cache = new DigestCache(join(tmp, "cache-2"));
    const trusting = join(tmp, "node-3");
    await trustKey(trusting, key.pub, key.fpr);
    assert.equal((await gpgVerify(trusting, sig, data, cache)).ok, true);
    const untrusted = join(tmp, "node-4");
    await mkdir(untrusted, { mode: 0o700 });
    await execa("gpg", ["--homedir", untrusted, "--batch", "--import"], { input: key.pub });
    assert.equal((await gpgVerify(untrusted, sig, data, cache)).summary, "binpkg signed with a known key of undefined trust.");
    const empty = join(tmp, "node-5");
    await mkdir(empty, { mode: 0o700 });
    assert.equal((await gpgVerify(empty, sig, data, cache)).summary, "binpkg signed with at least one unknown key.");
  });

  test("other bytes under the same signature are checked by gpg, not taken from the cache", async () => {
    const cache = new DigestCache(join(tmp, "cache-3"));
    const home = join(tmp, "node-6");
    await trustKey(home, key.pub, key.fpr);
    assert.equal((await gpgVerify(home, sig, data, cache)).ok, true);
    const tampered = await gpgVerify(home, sig, Buffer.from("image.tar.zst bytez"), cache);
    assert.equal(tampered.ok, false);
    assert.equal(tampered.summary, "(none available)");
  });

  test("a signature made with a cache is known good where its key is trusted, and still checked by gpg elsewhere", async () => {
    const cache = new DigestCache(join(tmp, "cache-4"));
    const detached = await gpgSign(signer, key.fpr, "SHA512", data, "detach", cache);
    const clear = await gpgSign(signer, key.fpr, "SHA512", Buffer.from("DATA Manifest line\n"), "clear", cache);
    const home = join(tmp, "node-7");
    await trustKey(home, key.pub, key.fpr);
    for (const [sig, signedData] of [[detached, data], [clear, undefined]] as const) {
      const r = await gpgVerify(home, sig, signedData, new DigestCache(cache.dir));
      assert.equal(r.ok, true);
      assert.match(r.raw, new RegExp(`^\\[GNUPG:\\] VALIDSIG [0-9A-F]{40} .* ${key.fpr}$`, "m"), "the verdict names the primary key");
      assert.doesNotMatch(r.raw, /gpg: Signature made/, "served from the cache, not by gpg");
    }
    // What gpg itself says of the same signature is the kept verdict, field for field.
    const validsig = (raw: string): string => /^\[GNUPG:\] VALIDSIG .*$/m.exec(raw)![0];
    const real = await gpgVerify(home, detached, data);
    assert.equal(validsig((await gpgVerify(home, detached, data, cache)).raw), validsig(real.raw));
    const untrusted = join(tmp, "node-8");
    await mkdir(untrusted, { mode: 0o700 });
    await execa("gpg", ["--homedir", untrusted, "--batch", "--import"], { input: key.pub });
    assert.equal((await gpgVerify(untrusted, detached, data, cache)).summary, "binpkg signed with a known key of undefined trust.");
    assert.equal((await gpgVerify(home, detached, Buffer.from("other bytes"), cache)).ok, false);
  });

  test("a key the simulator does not sign with itself (RSA) is gpg's, and its verdict is kept the same way", async () => {
    const rsaHome = join(tmp, "rsa-signer");
    await mkdir(rsaHome, { mode: 0o700 });
    await execa("gpg", ["--homedir", rsaHome, "--batch", "--passphrase", "", "--quick-gen-key", "RSA Builder <rsa@binfleet.invalid>", "rsa2048", "sign", "never"]);
    const rsaFpr = /^fpr:+([0-9A-F]{40}):/m.exec((await execa("gpg", ["--homedir", rsaHome, "--batch", "--with-colons", "--list-keys"])).stdout)![1]!;
    const rsaPub = (await execa("gpg", ["--homedir", rsaHome, "--batch", "--armor", "--export", rsaFpr])).stdout;
    const cache = new DigestCache(join(tmp, "cache-5"));
    const sig = await gpgSign(rsaHome, rsaFpr, "SHA512", data, "detach", cache);
    const home = join(tmp, "node-9");
    await trustKey(home, rsaPub, rsaFpr);
    const kept = await gpgVerify(home, sig, data, cache);
    assert.equal(kept.ok, true);
    assert.doesNotMatch(kept.raw, /gpg: Signature made/, "served from the cache");
    const real = await gpgVerify(home, sig, data);
    assert.equal(/^\[GNUPG:\] VALIDSIG .*$/m.exec(kept.raw)![0], /^\[GNUPG:\] VALIDSIG .*$/m.exec(real.raw)![0], "the kept VALIDSIG line is gpg's");
    await execa("gpgconf", ["--homedir", rsaHome, "--kill", "gpg-agent"], { reject: false });
  });
});
