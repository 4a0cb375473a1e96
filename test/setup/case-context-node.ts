// The CaseContext of the Node runner (see test/setup/cases.ts).
import type { CaseContext } from "./cases.ts";

/** A context for one test; `close` releases what the test made it start. */
export function nodeContext(): CaseContext & { close(): Promise<void> } {
  return { runtime: "node", close: () => Promise.resolve() };
}
