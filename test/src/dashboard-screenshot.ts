// The fleet page as a PNG (README's docs/dashboard.png comes from `npm run demo -- --screenshot
// docs/dashboard.png`): logs in with a token, waits for the live connection, shoots the page.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { findChromium, launchChromium } from "./browser.js";

/** Writes the screenshot; returns why it could not, or null. */
export async function screenshotFleet(dashboardUrl: string, token: string, out: string): Promise<string | null> {
  const path = await findChromium();
  if (path === null) return "chromium is not installed";
  const browser = await launchChromium(path);
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(dashboardUrl);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(/\/ui\/$/), page.click('button[type="submit"]')]);
    await page.waitForSelector("#live.on");
    await mkdir(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    return null;
  } finally {
    await browser.close();
  }
}
