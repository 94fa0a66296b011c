import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { PortageFormatError } from "./errors.js";
import { parseMakeConf } from "./make-conf.js";
import { fixture, noFixtures } from "./testing.js";

describe("make.conf", () => {
  test("the lab's node make.conf and portageq envvar output", { skip: noFixtures }, () => {
    const { vars } = parseMakeConf(readFileSync(fixture("portage/node-config/make.conf"), "utf8"));
    assert.equal(vars["CFLAGS"], "-O2 -pipe");
    assert.equal(vars["FEATURES"], "-sandbox -usersandbox");
    const env = parseMakeConf(readFileSync(fixture("portage/info/portageq-envvar.stdout"), "utf8")).vars;
    assert.deepEqual([env["ARCH"], env["CHOST"], env["LDFLAGS"], env["PORTAGE_BINHOST"], env["EPREFIX"]], ["amd64", "x86_64-pc-linux-gnu", "-Wl,-O1 -Wl,--as-needed", "", ""]);
  });

  test("quoting, expansion, continuation, export, comments, source", () => {
    const text = [
      "# comment",
      'COMMON="-O2 -pipe" # trailing comment',
      'CFLAGS="${COMMON} -march=x86-64-v3"',
      "export CHOST=x86_64-pc-linux-gnu",
      "USE=\"a b",
      '  c\\',
      ' d"',
      "LIT='$COMMON'",
      'MIX=pre"$CHOST"post',
      "source /etc/portage/make.conf.local",
      'FROM_PROFILE="$ARCH extra"',
    ].join("\n");
    const { vars, sources } = parseMakeConf(text, { ARCH: "amd64" });
    assert.equal(vars["CFLAGS"], "-O2 -pipe -march=x86-64-v3");
    assert.equal(vars["CHOST"], "x86_64-pc-linux-gnu");
    assert.equal(vars["USE"], "a b\n  c d");
    assert.equal(vars["LIT"], "$COMMON");
    assert.equal(vars["MIX"], "prex86_64-pc-linux-gnupost");
    assert.equal(vars["FROM_PROFILE"], "amd64 extra");
    assert.deepEqual(sources, ["/etc/portage/make.conf.local"]);
  });

  test("syntax errors name the line", () => {
    assert.throws(() => parseMakeConf('A="x\nB=1\n'), (e: unknown) => e instanceof PortageFormatError && /line 1/.test(e.message));
    assert.throws(() => parseMakeConf("A=1\nrm -rf /\n"), (e: unknown) => e instanceof PortageFormatError && /line 2/.test(e.message));
  });
});
