import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { agentConfig } from "./agent-config.js";
import { InvalidRequestError, PortageRunner } from "./portage-runner.js";

const runner = new PortageRunner(agentConfig({ nodeId: "node-1", nats: { urls: ["nats://127.0.0.1:1"] }, coordinatorKeys: { k1: "unused" }, portage: { emerge: ["/usr/bin/emerge"] } }));
const update = (atoms: string[], hold: string[] = []) => runner.updateArgv({ atoms, getbinpkgonly: false, pretend: false, hold });

describe("PortageRunner.updateArgv", () => {
  test("without atoms: the node's whole pending update, @world deep with new USE", () => {
    assert.deepEqual(update([], ["www-client/firefox"]), ["/usr/bin/emerge", "--color=n", "--verbose", "--getbinpkg", "--update", "--deep", "--newuse", "--exclude", "www-client/firefox", "@world"]);
  });

  test("with atoms (a security fix): exactly those packages, once, not the rest of the node's updates", () => {
    assert.deepEqual(update(["=dev-libs/openssl-3.0.15", "=net-misc/curl-8.9.1-r1"]), ["/usr/bin/emerge", "--color=n", "--verbose", "--getbinpkg", "--update", "--oneshot", "=dev-libs/openssl-3.0.15", "=net-misc/curl-8.9.1-r1"]);
  });

  test("atoms from the bus that are not plain atoms never reach argv", () => {
    assert.throws(() => update(["--config-root=/tmp/x"]), InvalidRequestError);
    assert.throws(() => update(["!dev-libs/openssl"]), InvalidRequestError);
  });
});
