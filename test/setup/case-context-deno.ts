// The CaseContext of the Deno runner (see test/setup/cases.ts).
import type { CaseContext } from "./cases.ts";

/** A context for one test; `close` releases what the test made it start. */
export function denoContext(): CaseContext & { close(): Promise<void> } {
  return { runtime: "deno", close: () => Promise.resolve() };
}
