// The CaseContext of the Node and Deno runners (see test/setup/cases.ts): each fixture a test asks
// for is written to a temporary folder and served over loopback HTTP, and both go when the test
// ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic } from "../../src/serve/static-server.ts";
import { writeArrayFixture } from "./array-fixture.ts";
import type { CaseContext } from "./cases.ts";
import { DATASET_DIR, writeDatasetFixture } from "./dataset-http-fixture.ts";
import { startFaultServer } from "./fault-server.ts";

/** A context for one test in Node or Deno; `close` stops its servers and removes its folders. */
export function localContext(runtime: "node" | "deno"): CaseContext & { close(): Promise<void> } {
  const cleanups: Array<() => Promise<void>> = [];
  const folder = async (write: (dir: string) => Promise<void>): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), "cellmap-case-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await write(dir);
    return dir;
  };
  const serve = async (dir: string): Promise<string> => {
    const server = await serveStatic({ root: dir });
    cleanups.push(() => server.close());
    return server.url;
  };
  return {
    runtime,
    arrayFixtureUrl: async () => serve(await folder(writeArrayFixture)),
    arrayFixtureDir: () => folder(writeArrayFixture),
    datasetFixtureUrl: async () => `${await serve(await folder(writeDatasetFixture))}/${DATASET_DIR}`,
    tempDir: () => folder(() => Promise.resolve()),
    faultFixtureUrl: async () => {
      const server = await startFaultServer(await folder(writeArrayFixture));
      cleanups.push(() => server.close());
      return server.url;
    },
    close: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
