// The CaseContext of the Chromium runner (see test/setup/cases.ts).
import type { CaseContext } from "./cases.ts";

/** A context for one test; `close` releases what the test made it start. */
export function chromiumContext(): CaseContext & { close(): Promise<void> } {
  return { runtime: "chromium", close: () => Promise.resolve() };
}
