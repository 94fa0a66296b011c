// Headless Chromium for the dashboard's browser test and screenshot: Debian's `chromium` (installed
// by scripts/ensure-deps.sh), driven by playwright-core, which brings no browser of its own.
import { access, constants } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";

const CANDIDATES = [process.env["BINFLEET_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((p): p is string => p !== undefined && p !== "");

/** Where Chromium is, or null (the caller skips with a note). */
export async function findChromium(): Promise<string | null> {
  for (const p of CANDIDATES) {
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return null;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // As root (CI, the demo machine) Chromium refuses its sandbox; the pages are our own dashboard's.
  return chromium.launch({ executablePath, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
}
