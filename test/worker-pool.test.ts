// The worker pool's batched comlink protocol in Node: worker_threads running dist/fetch-worker.js, the
// array fixture served over loopback HTTP. Case bodies: test/setup/worker-pool-cases.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, test } from "vitest";
import { serveStatic, type StaticServer } from "../src/serve/static-server.ts";
import { writeArrayFixture } from "./setup/array-fixture.ts";
import { abortInsideBatch, batchEqualsSingleReads, errorInsideBatch, errorsCrossTheBoundary, oneMessagePerWorkerPerTurn, batchIsOneComlinkCall } from "./setup/worker-pool-cases.ts";

let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-pool-"));
  await writeArrayFixture(dir);
  server = await serveStatic({ root: dir });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("WorkerPool batches (Node, worker threads)", () => {
  test("reads asked in one turn travel in one comlink call per worker, with the stored voxels", async () => {
    await oneMessagePerWorkerPerTurn(server.url);
  });
  test("one call carrying N chunk requests returns the same bytes as N single requests and as the calling thread", async () => {
    await batchEqualsSingleReads(server.url);
  });
  test("an abort in the middle of a batch rejects only that read and the worker cancels it", async () => {
    await abortInsideBatch(server.url);
  });
  test("an error in one chunk of a batch rejects only that chunk, with a typed error naming it", async () => {
    await errorInsideBatch(server.url);
  });
  test("a batch of reads is one comlink call on the worker's exposed API", async () => {
    await batchIsOneComlinkCall(server.url);
  });
  test("typed errors keep their class, tag, fields and message across the worker boundary", errorsCrossTheBoundary);
});
