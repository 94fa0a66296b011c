import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type PlatformSettings, isSameSnapshot, platformFingerprint } from "./platform-key.js";

const base: PlatformSettings = {
  arch: "amd64",
  chost: "x86_64-pc-linux-gnu",
  cflags: "-O2 -pipe",
  cxxflags: "-O2 -pipe",
  ldflags: "-Wl,-O1 -Wl,--as-needed",
  profile: "default/linux/amd64/23.0",
  acceptKeywords: "amd64",
  binpkgFormat: "gpkg",
};

describe("platformFingerprint", () => {
  test("is stable and ignores cosmetic differences", () => {
    const a = platformFingerprint(base);
    assert.match(a.key, /^amd64-[0-9a-f]{12}$/);
    assert.equal(platformFingerprint({ ...base }).key, a.key);
    const cosmetic = platformFingerprint({
      ...base,
      cflags: "  -O2   -pipe ",
      profile: "/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/",
      acceptKeywords: "amd64 amd64",
      binpkgFormat: "",
    });
    assert.equal(cosmetic.key, a.key);
    assert.equal(a.name, "amd64 x86_64-pc-linux-gnu default/linux/amd64/23.0 -O2 -pipe");
  });

  test("every setting that changes the binary changes the key", () => {
    const key = platformFingerprint(base).key;
    const changes: Partial<PlatformSettings>[] = [
      { arch: "x86", chost: "i686-pc-linux-gnu" },
      { chost: "x86_64-gentoo-linux-musl" },
      { cflags: "-O2 -pipe -march=x86-64-v3" },
      { cxxflags: "-O3" },
      { ldflags: "-Wl,-O1" },
      { profile: "default/linux/amd64/23.0/systemd" },
      { acceptKeywords: "amd64 ~amd64" },
      { binpkgFormat: "xpak" },
    ];
    const keys = new Set([key]);
    for (const c of changes) keys.add(platformFingerprint({ ...base, ...c }).key);
    assert.equal(keys.size, changes.length + 1);
  });

  test("-march=native marks a platform as not portable", () => {
    assert.equal(platformFingerprint(base).portable, true);
    assert.equal(platformFingerprint({ ...base, cflags: "-O2 -march=native" }).portable, false);
  });

  test("snapshots compare as trimmed opaque ids; empty never matches", () => {
    assert.ok(isSameSnapshot("Wed, 25 Nov 2026 00:45:01 +0000\n", "Wed, 25 Nov 2026 00:45:01 +0000"));
    assert.ok(!isSameSnapshot("", ""));
    assert.ok(!isSameSnapshot("a", "b"));
  });
});
