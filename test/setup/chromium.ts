// Finds a Chromium already installed on the machine for the browser test project. Playwright's
// own browser download is never used: set CHROMIUM_PATH, or install Debian's `chromium`.
import { existsSync, readFileSync } from "node:fs";

/** Real Chromium/Chrome binaries, not the shell-script wrappers in /usr/bin. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "/usr/lib/chromium/chromium", // Debian, package chromium
  "/usr/lib/chromium-browser/chromium-browser", // older Ubuntu
  "/usr/lib64/chromium-browser/chromium-browser", // Fedora
  "/opt/google/chrome/chrome", // Google Chrome .deb/.rpm
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/** `CHROMIUM_PATH` if set, else the first installed candidate, else undefined. */
export function findChromium(): string | undefined {
  const fromEnv = process.env["CHROMIUM_PATH"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p) && !isScript(p));
}

function isScript(path: string): boolean {
  try {
    return readFileSync(path).subarray(0, 2).toString("latin1") === "#!";
  } catch {
    return true;
  }
}

/** The advice printed when no Chromium is found. */
export const NO_CHROMIUM =
  "No Chromium found for the browser tests. Install Debian's chromium (`apt-get install chromium`) " +
  `or set CHROMIUM_PATH to a Chromium/Chrome binary (looked in ${CHROMIUM_CANDIDATES.join(", ")}). ` +
  "Do not run `playwright install`.";
