// Cellpose flow targets as a dataset option in Node (Dawn, SwiftShader without a GPU). Bodies in
// test/setup/cellpose-dataset-cases.ts.
import { test } from "vitest";
import { cellposeDatasetCases as cases } from "./setup/cellpose-dataset-cases.ts";

test("an item's flows equal the CPU twin of its own labels (CPU and GPU datasets)", async () => {
  console.log(`[node] ${await cases.itemFlowsMatchTwinOfItsLabels()}`);
});
test("the mito ball's flows point to its center, zero outside it, NaN outside the crop", async () => {
  console.log(`[node] ${await cases.ballFlowsPointToItsCenter()}`);
});
test("flows of an unannotated class are NaN except true negatives, which are 0", async () => {
  console.log(`[node] ${await cases.unannotatedClassFlowsFollowTrueNegatives()}`);
});
test("GPU loader batches (output cpu and gpu) equal the CPU dataset's", async () => {
  console.log(`[node] ${await cases.gpuLoaderMatchesCpuDataset()}`);
});
test("bad cellpose target options raise ArgumentError naming the field", cases.badOptionsNameTheField);
test("2D slices: an item's flows are [2, h, w], the 2D twin of its own labels, towards the ball's cross-section center", async () => {
  console.log(`[node] ${await cases.sliceItemFlowsMatch2dTwin()}`);
});
test("2D slices: loader batches are [B, 2, h, w], on the GPU equal to the CPU dataset's", async () => {
  console.log(`[node] ${await cases.sliceLoaderBatchesMatch()}`);
});
