// The CaseContext of the Chromium runner (see test/setup/cases.ts): the fixtures are served by the
// browser project's global setup (test/setup/browser-fixture-server.ts), which provides their URLs.
import { inject } from "vitest";
import type { CaseContext } from "./cases.ts";

/** A context for one test in Chromium; it starts nothing, so `close` has nothing to release. */
export function chromiumContext(): CaseContext & { close(): Promise<void> } {
  return {
    runtime: "chromium",
    arrayFixtureUrl: () => Promise.resolve(inject("fixtureUrl")),
    arrayFixtureDir: () => Promise.reject(new Error("the page has no file system: a Chromium case reads the fixture over HTTP")),
    datasetFixtureUrl: () => Promise.resolve(inject("datasetUrl")),
    faultFixtureUrl: () => Promise.resolve(inject("faultUrl")),
    tempDir: () => Promise.reject(new Error("the page has no file system: a Chromium case writes to memory")),
    close: () => Promise.resolve(),
  };
}
