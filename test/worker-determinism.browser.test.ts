// Determinism across fetch-worker counts in Chromium: module workers bundled by Vite reading the
// dataset fixture over loopback HTTP (served by test/setup/browser-fixture-server.ts).
import { describe, inject, test } from "vitest";
import { sameBatchesWithOneAndTwoWorkers } from "./setup/worker-determinism-cases.ts";

describe("CellMapDataLoader across worker counts (Chromium)", () => {
  test("same seed: bit-identical batches with 1 worker and with 2, prefetch 1 and 3", async () => {
    await sameBatchesWithOneAndTwoWorkers(inject("datasetUrl"));
  });
});
