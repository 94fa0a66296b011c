// Loaded into every test process (`node --import`, see scripts/test.sh) before node:test.
//
// Node 20's test runner enables an async hook with a `destroy` callback for a test file's whole
// life. It needs the hook while test files register their suites (a `before`/`after` written in a
// `describe` body finds its suite through it) and afterwards only to name the test an uncaught
// error came from. But a destroy hook makes V8 track the collection of every promise: code that
// awaits a lot (a coordinator, agents, NATS clients and simulated Portage inside the test process)
// runs many times slower — 2 million awaits take 5.2 s under the runner instead of 0.17 s.
//
// So the runner's hook is switched off once the file's synchronous registration is over (at the
// first turn of the event loop). An uncaught error is then reported for the file instead of for
// one test: the file still fails. A Node whose runner hook looks different keeps it, and is slower.
import { createRequire } from "node:module";

// The CommonJS exports object, which the runner's own `require('async_hooks')` shares.
const asyncHooks = createRequire(import.meta.url)("node:async_hooks") as typeof import("node:async_hooks");
const createHook = asyncHooks.createHook;

asyncHooks.createHook = function createHookUntilRegistered(callbacks) {
  const hook = createHook.call(asyncHooks, callbacks);
  if (typeof callbacks.destroy === "function" && String(callbacks.init).includes("testResources")) {
    const enable = hook.enable;
    hook.enable = function enableUntilRegistered() {
      enable.call(hook);
      setImmediate(() => hook.disable());
      return hook;
    };
  }
  return hook;
};
