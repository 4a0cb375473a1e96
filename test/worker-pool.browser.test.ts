// The worker pool's batched comlink protocol in Chromium: module workers bundled by Vite, the array fixture
// served by test/setup/browser-fixture-server.ts. Case bodies: test/setup/worker-pool-cases.ts.
import { describe, inject, test } from "vitest";
import { abortInsideBatch, batchEqualsSingleReads, errorInsideBatch, errorsCrossTheBoundary, oneMessagePerWorkerPerTurn, batchIsOneComlinkCall } from "./setup/worker-pool-cases.ts";

describe("WorkerPool batches (Chromium)", () => {
  test("reads asked in one turn travel in one comlink call per worker, with the stored voxels", async () => {
    await oneMessagePerWorkerPerTurn(inject("fixtureUrl"));
  });
  test("one call carrying N chunk requests returns the same bytes as N single requests and as the calling thread", async () => {
    await batchEqualsSingleReads(inject("fixtureUrl"));
  });
  test("an abort in the middle of a batch rejects only that read and the worker cancels it", async () => {
    await abortInsideBatch(inject("fixtureUrl"));
  });
  test("an error in one chunk of a batch rejects only that chunk, with a typed error naming it", async () => {
    await errorInsideBatch(inject("fixtureUrl"));
  });
  test("a batch of reads is one comlink call on the worker's exposed API", async () => {
    await batchIsOneComlinkCall(inject("fixtureUrl"));
  });
  test("typed errors keep their class, tag, fields and message across the worker boundary", errorsCrossTheBoundary);
});
