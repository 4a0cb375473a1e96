// Global setup of the browser project: fail at once, with advice, when no Chromium is installed,
// instead of Playwright's suggestion to download one.
import { findChromium, NO_CHROMIUM } from "./chromium.ts";

export default function requireChromium(): void {
  const path = findChromium();
  if (path === undefined) throw new Error(NO_CHROMIUM);
  console.log(`[browser] Chromium: ${path}`);
}
