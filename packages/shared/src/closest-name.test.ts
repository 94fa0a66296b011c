import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { closestName } from "./closest-name.js";

describe("closestName", () => {
  const keys = ["stateDir", "nats", "http", "platforms", "policy", "api", "api.tokens", "api.host", "schedule"];

  test("a typo finds the key it meant", () => {
    assert.equal(closestName("polcy", keys), "policy");
    assert.equal(closestName("nast", keys), "nats", "a transposition is one edit");
    assert.equal(closestName("statedir", keys), "stateDir", "case makes no difference");
    assert.equal(closestName("apiTokens", keys), "api.tokens", "a nested key written flat");
  });

  test("nothing is suggested when no key is close", () => {
    assert.equal(closestName("port", keys), null);
    assert.equal(closestName("x", keys), null);
    assert.equal(closestName("verbose", keys), null);
    assert.equal(closestName("p".repeat(10_000), keys), null);
  });
});
