// The commented example configurations installed under /etc/binfleet are valid: each loads with the
// schema its program uses, which refuses unknown keys, so an example cannot drift from the code.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadAgentConfig } from "@binfleet/agent";
import { loadCoordinatorConfig } from "@binfleet/coordinator";
import { repoRoot } from "@binfleet/shared/testing";

const ETC = join(repoRoot, "release/files/etc/binfleet");

test("agent.json.example loads as binfleet-agent's configuration", async () => {
  const c = await loadAgentConfig(join(ETC, "agent.json.example"));
  assert.equal(c.nodeId, "web-01");
});

test("coordinator.json.example loads as binfleet-coordinator's configuration, access log and signed-or-chat webhook included", async () => {
  const c = await loadCoordinatorConfig(join(ETC, "coordinator.json.example"));
  assert.equal(c.http.accessLog, "/var/log/binfleet/binhost-access.log");
  assert.deepEqual(c.schedule.webhook, { url: "https://chat.example.org/hooks/binfleet", format: "slack", retries: 3 });
  assert.equal(c.platforms[0]!.workers, 0, "the unprivileged coordinator builds nothing itself");
});

test("builder.json.example loads as `binfleet-coordinator builder`'s configuration", async () => {
  const c = await loadCoordinatorConfig(join(ETC, "builder.json.example"));
  assert.equal(c.platforms[0]!.workers, 1);
  assert.equal(c.portage.isolation, "bwrap");
});
