// Cellpose flow targets as a dataset option in Deno (built-in navigator.gpu, lavapipe without a
// GPU). Bodies in test/setup/cellpose-dataset-cases.ts.
import { cellposeDatasetCases as cases } from "../setup/cellpose-dataset-cases.ts";
Deno.test("an item's flows equal the CPU twin of its own labels (CPU and GPU datasets)", async () => {
  console.log(`[deno] ${await cases.itemFlowsMatchTwinOfItsLabels()}`);
});
Deno.test("the mito ball's flows point to its center, zero outside it, NaN outside the crop", async () => {
  console.log(`[deno] ${await cases.ballFlowsPointToItsCenter()}`);
});
Deno.test("flows of an unannotated class are NaN except true negatives, which are 0", async () => {
  console.log(`[deno] ${await cases.unannotatedClassFlowsFollowTrueNegatives()}`);
});
Deno.test("GPU loader batches (output cpu and gpu) equal the CPU dataset's", async () => {
  console.log(`[deno] ${await cases.gpuLoaderMatchesCpuDataset()}`);
});
Deno.test("bad cellpose target options raise ArgumentError naming the field", cases.badOptionsNameTheField);
Deno.test("2D slices: an item's flows are [2, h, w], the 2D twin of its own labels, towards the ball's cross-section center", async () => {
  console.log(`[deno] ${await cases.sliceItemFlowsMatch2dTwin()}`);
});
Deno.test("2D slices: loader batches are [B, 2, h, w], on the GPU equal to the CPU dataset's", async () => {
  console.log(`[deno] ${await cases.sliceLoaderBatchesMatch()}`);
});
