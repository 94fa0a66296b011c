import assert from "node:assert/strict";
import { test } from "node:test";
import { changedSettings, reloadPlan } from "./config-reload.js";
import { coordinatorConfig } from "./coordinator-config.js";

const base = coordinatorConfig({ stateDir: "/var/lib/binfleet", api: { tokens: [{ name: "ops", role: "admin", token: "a".repeat(20) }] } });

test("an unchanged configuration changes nothing", () => {
  assert.deepEqual(changedSettings(base, coordinatorConfig({ stateDir: "/var/lib/binfleet", api: { tokens: [{ name: "ops", role: "admin", token: "a".repeat(20) }] } })), []);
});

test("schedule and API tokens are applied; listeners, the bus and platforms wait for a restart", () => {
  const next = coordinatorConfig({
    stateDir: "/var/lib/binfleet",
    api: { port: 50052, tokens: [{ name: "ops", role: "viewer", token: "b".repeat(20) }] },
    schedule: { nightly: "03:00", webhook: "https://chat.example.org/hooks/x" },
    http: { port: 9090 },
    platforms: [{ name: "amd64", key: "k", root: "/r" }],
  });
  assert.deepEqual(reloadPlan(base, next), { apply: ["api.tokens", "schedule"], restart: ["api.port", "http.port", "platforms"] });
});
