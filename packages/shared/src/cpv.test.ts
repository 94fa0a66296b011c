import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PortageFormatError } from "./errors.js";
import { isValidCategory, isValidPackageName, parseCpv, parseCpvWithBuildId, tryParseCpv } from "./cpv.js";

describe("cpv", () => {
  test("splits category, package and version like catpkgsplit", () => {
    const c = parseCpv("app-misc/rcpkg-2.0_rc1-r1");
    assert.deepEqual([c.category, c.package, c.version.raw, c.cp], ["app-misc", "rcpkg", "2.0_rc1-r1", "app-misc/rcpkg"]);
    assert.equal(parseCpv("dev-libs/foo-bar-1.0").package, "foo-bar");
    assert.equal(parseCpv("x11-libs/gtk+-3.24.41").package, "gtk+");
    assert.equal(parseCpv("dev-perl/Foo-Bar-1.23").package, "Foo-Bar");
  });

  test("refuses names that end in a version, and malformed input", () => {
    for (const bad of ["app-misc/hello", "app-misc/hello-1.0-2.0", "hello-1.0", "/hello-1.0", "app-misc/-1.0", "app misc/hello-1.0", "app-misc/hello-1.1-1"]) {
      assert.equal(tryParseCpv(bad), null, bad);
    }
    assert.throws(() => parseCpv("app-misc/hello"), PortageFormatError);
  });

  test("splits a multi-instance build id only where the plain form is invalid", () => {
    assert.deepEqual(
      (({ cpv, buildId }) => [cpv.cpv, buildId])(parseCpvWithBuildId("app-misc/hello-1.1-1")),
      ["app-misc/hello-1.1", 1],
    );
    assert.equal(parseCpvWithBuildId("app-misc/rcpkg-2.0_rc1-r1").buildId, null);
    assert.equal(parseCpvWithBuildId("dev-libs/liblinear-210-r1-1").cpv.version.raw, "210-r1");
  });

  test("name rules", () => {
    assert.ok(isValidCategory("dev-libs") && isValidCategory("virtual") && isValidCategory("x11.libs"));
    assert.ok(!isValidCategory("-dev") && !isValidCategory(".dev") && !isValidCategory(""));
    assert.ok(isValidPackageName("foo-bar") && isValidPackageName("foo-1bar") && isValidPackageName("gtk+"));
    assert.ok(!isValidPackageName("foo-1") && !isValidPackageName("-foo") && !isValidPackageName("foo.bar"));
  });
});
