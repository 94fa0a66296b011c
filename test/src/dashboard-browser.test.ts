// test: long 72 (seconds it took in a full npm test run: long files start first, longest first)
// The dashboard in a real browser (headless Chromium) against a live fleet: a viewer sees the
// numbers `binfleet nodes --json` gives, an operator approves a build and starts a rollout and
// watches both progress without reloading, a viewer's approve is refused, and markup in a build log
// line or a node's reported snapshot stays text.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { subjects } from "@binfleet/bus";
import { type FleetControlClient, connectFleetControl } from "@binfleet/api";
import { createLogger } from "@binfleet/daemon";
import { type FleetManifest, generateFleet } from "@binfleet/portage-sim";
import { until } from "@binfleet/shared/testing";
import { BuildState } from "@binfleet/shared/wire";
import { connect } from "@nats-io/transport-node";
import { findChromium, launchChromium } from "./browser.js";
import { type FleetHarness, startFleet } from "./fleet-harness.js";
import { runProgram } from "./programs.js";

const chromiumPath = await findChromium();
const HOSTILE = "<img src=x onerror=window.__pwned=1>";
const tokens = { viewer: "viewer-token-0123456789", operator: "operator-token-0123456789", admin: "admin-token-0123456789ab" };

describe("the dashboard in headless Chromium", { skip: chromiumPath === null ? "chromium not installed (scripts/ensure-deps.sh installs it as root)" : false }, () => {
  let tmp: string;
  let fleet: FleetManifest;
  let h: FleetHarness;
  let api: FleetControlClient;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];

  const login = async (role: keyof typeof tokens): Promise<Page> => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(base);
    assert.match(page.url(), /\/ui\/login$/, "not logged in: the login form");
    await page.fill('input[name="token"]', tokens[role]);
    await Promise.all([page.waitForURL(/\/ui\/$/), page.click('button[type="submit"]')]);
    return page;
  };
  // Page code as strings: the test project has no DOM types.
  const pwned = (page: Page) => page.evaluate("typeof window.__pwned");
  const markDocument = (page: Page) => page.evaluate("void (window.__sameDocument = 1)");
  const sameDocument = (page: Page) => page.evaluate("window.__sameDocument === 1");

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "binfleet-dashboard-"));
    fleet = await generateFleet({ nodes: 4, platforms: 2, seed: 31, lag: 0.02, out: join(tmp, "fleet") });
    h = await startFleet({
      fleet,
      dir: tmp,
      log: createLogger({ name: "e2e-dashboard", level: "info", destination: new PassThrough() }),
      speed: "0",
      config: {
        policy: { requireApproval: true, notify: "rollout" },
        api: { host: "127.0.0.1", port: 0, tokens: Object.entries(tokens).map(([role, token]) => ({ name: role, role: role as keyof typeof tokens, token })) },
        dashboard: { host: "127.0.0.1", port: 0 },
      },
    });
    base = h.coordinator.dashboardUrl!;
    api = connectFleetControl(h.coordinator.apiAddress, { token: tokens.admin });
    await until("every node's report taken in", async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.length === fleet.nodes.length ? true : null), 120_000, 500);
    browser = await launchChromium(chromiumPath!);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    api?.close();
    await h?.teardown();
    await rm(tmp, { recursive: true, force: true });
  });

  test("a viewer logs in (HttpOnly, SameSite=Strict cookie; strict CSP) and sees the numbers of binfleet nodes --json", async () => {
    const page = await login("viewer");
    const [cookie] = await page.context().cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, "Strict");
    const reply = await page.request.get(base);
    assert.match(reply.headers()["content-security-policy"] ?? "", /default-src 'self'.*script-src 'self'.*frame-ancestors 'none'/);
    assert.equal(reply.headers()["x-frame-options"], "DENY");
    const cli = await runProgram("binfleet", ["--server", h.coordinator.apiAddress, "--token", tokens.viewer, "--json", "nodes"]);
    const nodes = JSON.parse(cli.stdout.trim().split("\n").at(-1)!).nodes as { platformKey: string; state: string; pendingBinary?: number; pendingCompile?: number }[];
    await page.reload();
    const shown = async (scope: string, field: string) => Number(await page.textContent(`[data-fleet="${scope}.${field}"]`));
    assert.equal(await shown("*", "nodes"), nodes.length);
    assert.equal(await shown("*", "current"), nodes.filter((n) => n.state === "current").length);
    assert.equal(await shown("*", "compileNodes"), nodes.filter((n) => (n.pendingCompile ?? 0) > 0).length);
    assert.equal(await shown("*", "compiles"), nodes.reduce((s, n) => s + (n.pendingCompile ?? 0), 0));
    assert.equal(await shown("*", "pendingBinaries"), nodes.reduce((s, n) => s + (n.pendingBinary ?? 0), 0));
    assert.equal(await shown("*", "stale"), nodes.filter((n) => n.state === "stale").length);
    for (const key of new Set(nodes.map((n) => n.platformKey))) assert.equal(await shown(key, "nodes"), nodes.filter((n) => n.platformKey === key).length);
    assert.ok((await shown("*", "compiles")) > 0, "nothing is built yet: nodes would compile");
    await page.waitForSelector("#live.on");
  });

  test("a viewer's approve is refused with 403 and approves nothing", async () => {
    const page = await login("viewer");
    await page.goto(`${base}builds`);
    assert.equal(await page.locator('form[action$="/actions/approve"]').count(), 0, "no Approve button for a viewer");
    const post = (withCsrf: boolean) =>
      page.evaluate(`(async () => {
        const body = new URLSearchParams({ all: "1" });
        if (${withCsrf}) body.set("csrf", document.querySelector('meta[name="csrf"]').content);
        return (await fetch("/ui/actions/approve", { method: "POST", body, headers: { Accept: "application/json" } })).status;
      })()`);
    assert.equal(await post(true), 403);
    const noCsrf = await post(false);
    assert.equal(noCsrf, 403, "a POST without the session's CSRF token is refused");
    const plan = await api.getPlan({ platformKey: "" });
    assert.ok(plan.items.length > 0 && plan.items.every((i) => i.state === BuildState.WAITING_APPROVAL), "everything still waits");
  });

  let approvedId = "";
  test("an operator approves a waiting build and watches it finish without reloading", async () => {
    const page = await login("operator");
    await page.goto(`${base}builds`);
    await page.waitForSelector("#live.on");
    await markDocument(page);
    const row = page.locator("tr[data-build]").filter({ has: page.locator('form[action$="/actions/approve"]') }).first();
    approvedId = (await row.getAttribute("data-build"))!;
    await row.locator('form[action$="/actions/approve"] button').click();
    // Polled from here: the CSP forbids the string evaluation waitForFunction would use.
    await until("the build succeeded on the page", async () => ((await page.textContent(`[data-build-state="${approvedId}"]`)) === "succeeded" ? true : null), 180_000, 200);
    assert.match((await page.textContent("#flash")) ?? "", /approved 1 build/);
    assert.equal(await sameDocument(page), true, "the page was never reloaded");
  });

  test("markup in a build's log line is shown as text and runs nothing", async () => {
    const creds = h.coordinator.busCredentials;
    const nc = await connect({ servers: h.coordinator.natsUrl, ...(creds === null ? {} : { user: creds.user, pass: creds.pass }) });
    nc.publish(subjects.buildLog(approvedId), `>>> ${HOSTILE}\n`);
    await nc.flush();
    await nc.close();
    const page = await login("viewer");
    await page.goto(`${base}builds/${approvedId}`);
    await until("the hostile line in the log", async () => ((await page.reload(), (await page.textContent("#log")) ?? "").includes(HOSTILE) ? true : null), 30_000, 500);
    assert.equal(await page.locator("#log img, img").count(), 0);
    assert.equal(await pwned(page), "undefined");
  });

  test("an operator starts a rollout and sees its progress change live", async () => {
    for (const p of fleet.platforms) await api.approve({ variantIds: [], all: true, platformKey: p.key });
    await until("every build done", async () => ((await api.getPlan({ platformKey: "" })).items.length === 0 ? true : null), 300_000, 1000);
    const page = await login("operator");
    await page.goto(`${base}rollouts`);
    await page.waitForSelector("#live.on");
    await markDocument(page);
    await page.fill('input[name="canary"]', "1");
    await page.fill('input[name="maxInFlight"]', "1");
    await page.click('form.start button[type="submit"]');
    const id = await until("the new rollout's row", async () => page.locator("tr[data-rollout]").first().getAttribute("data-rollout"), 30_000, 100);
    const seen: string[] = [];
    await until("the rollout done", async () => {
      const text = (await page.textContent(`[data-rollout-text="${id}"]`)) ?? "";
      if (text !== "" && seen.at(-1) !== text) seen.push(text);
      return (await page.textContent(`[data-rollout-state="${id}"]`)) === "done" && /^(\d+)\/\1 done/.test(text) ? true : null;
    }, 300_000, 100);
    assert.ok(seen.length >= 2, `progress changed on the page: ${JSON.stringify(seen)}`);
    assert.equal(await sameDocument(page), true, "the page was never reloaded");
    const full = `(() => { const e = document.querySelector('progress[data-rollout-progress=' + ${JSON.stringify(JSON.stringify(id))} + ']'); return e.max > 0 && e.value === e.max; })()`;
    assert.equal(await page.evaluate(full), true, "the progress bar is full");
  });

  test("markup in a node's reported snapshot is shown as text and runs nothing", async () => {
    const node = fleet.nodes[0]!;
    await writeFile(join(fleet.repo, "metadata/timestamp.chk"), `${HOSTILE}\n`);
    await h.coordinator.commands.send(node.name, { case: "report", value: {} });
    await until("the node's new snapshot taken in", async () => ((await api.listNodes({ platformKey: "", staleOnly: false })).nodes.find((n) => n.nodeId === node.name)?.snapshotId === HOSTILE ? true : null), 60_000, 500);
    const page = await login("viewer");
    assert.ok(((await page.textContent("#nodes")) ?? "").includes(HOSTILE));
    assert.equal(await page.locator("img").count(), 0);
    await page.goto(`${base}nodes/${node.name}`);
    assert.ok(((await page.textContent("dl.facts")) ?? "").includes(HOSTILE));
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await pwned(page), "undefined");
  });
});
