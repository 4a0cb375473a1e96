// Global setup of the browser project: write the CellMapArray fixture and serve it over loopback
// HTTP, so tests in Chromium stream it through the real fetch workers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { serveStatic } from "../../src/serve/static-server.ts";
import { writeArrayFixture } from "./array-fixture.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fixtureUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), "cellmap-browser-"));
  await writeArrayFixture(dir);
  const server = await serveStatic({ root: dir });
  project.provide("fixtureUrl", server.url);
  return async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
