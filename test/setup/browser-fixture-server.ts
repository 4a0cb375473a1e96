// Global setup of the browser project: write the CellMapArray fixture and, in a subfolder, the
// dataset fixture, and serve both over loopback HTTP, so tests in Chromium stream them through the
// real fetch workers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { serveStatic } from "../../src/serve/static-server.ts";
import { writeArrayFixture } from "./array-fixture.ts";
import { startFaultServer } from "./fault-server.ts";
import { DATASET_DIR, writeDatasetFixture } from "./dataset-http-fixture.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fixtureUrl: string;
    /** The dataset fixture of test/setup/dataset-http-fixture.ts. */
    datasetUrl: string;
    /** The array fixture behind the fault-injecting server of test/setup/fault-server.ts. */
    faultUrl: string;
    /** The array fixture on a server that sends no CORS headers (the page may not read it). */
    noCorsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), "cellmap-browser-"));
  await writeArrayFixture(dir);
  await writeDatasetFixture(dir);
  // The test page's origin is Vitest's (another port): let any origin read the fixtures.
  const server = await serveStatic({ root: dir, cors: "*" });
  project.provide("fixtureUrl", server.url);
  project.provide("datasetUrl", `${server.url}/${DATASET_DIR}`);
  const faults = await startFaultServer(dir);
  project.provide("faultUrl", faults.url);
  const noCors = await serveStatic({ root: dir });
  project.provide("noCorsUrl", noCors.url);
  return async () => {
    await noCors.close();
    await faults.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
