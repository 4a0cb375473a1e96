// Batch assembly in Chromium (vitest browser mode). Bodies in test/setup/batch-layout-cases.ts.
import { test } from "vitest";
import { batchLayoutCases as cases } from "./setup/batch-layout-cases.ts";

test("the class-relationship pass on a class-major buffer equals the twin", async () => {
  console.log(`[chromium] ${await cases.classMajorPassMatchesTwin()}`);
});
test("a batch's staging packs arrays by maxBufferSize and reads each back", cases.stagingPacksAndReadsBack);
test("GPU loader batches (CPU and GPU output) equal the CPU dataset's", async () => {
  console.log(`[chromium] ${await cases.gpuBatchesMatchCpu()}`);
});
test("with bindings below the class-major scratch, GPU batches still equal the CPU dataset's", async () => {
  console.log(`[chromium] ${await cases.smallBindingsMatchCpu()}`);
});
test("the loader's buffer pool reuses by device, size and usage and destroys what it holds", cases.poolReusesAndDestroys);
test("batches read ahead reuse buffers and equal batches read one at a time", async () => {
  console.log(`[chromium] ${await cases.readAheadMatchesOneAtATime()}`);
});
