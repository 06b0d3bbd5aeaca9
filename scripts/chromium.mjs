// Debian's Chromium as the browser tests and the dashboard benchmark drive it (playwright-core, never `playwright install`).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless, and quiet: no sandbox (root in CI), no GPU, nothing fetched in the background. */
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** A desktop-sized browser on `profile`, a fresh directory of the caller's (which removes it). */
export const launchChromium = (profile) =>
  chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 950 } });
