// Batch assembly in Deno: built-in navigator.gpu (lavapipe on machines without a GPU).
// Bodies in test/setup/batch-layout-cases.ts.
import { batchLayoutCases as cases } from "../setup/batch-layout-cases.ts";

Deno.test("the class-relationship pass on a class-major buffer equals the twin", async () => {
  console.log(`[deno] ${await cases.classMajorPassMatchesTwin()}`);
});
Deno.test("a batch's staging packs arrays by maxBufferSize and reads each back", cases.stagingPacksAndReadsBack);
Deno.test("GPU loader batches (CPU and GPU output) equal the CPU dataset's", async () => {
  console.log(`[deno] ${await cases.gpuBatchesMatchCpu()}`);
});
Deno.test("with bindings below the class-major scratch, GPU batches still equal the CPU dataset's", async () => {
  console.log(`[deno] ${await cases.smallBindingsMatchCpu()}`);
});
Deno.test("the loader's buffer pool reuses by device, size and usage and destroys what it holds", cases.poolReusesAndDestroys);
Deno.test("batches read ahead reuse buffers and equal batches read one at a time", async () => {
  console.log(`[deno] ${await cases.readAheadMatchesOneAtATime()}`);
});
