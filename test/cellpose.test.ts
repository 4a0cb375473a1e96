// Cellpose flow targets in Node (Dawn, SwiftShader without a GPU): the shader against its CPU twin
// and against geometry. Bodies in test/setup/cellpose-cases.ts; the numpy oracle is in
// test/cellpose-oracle.test.ts.
import { test } from "vitest";
import { cellposeCases as cases } from "./setup/cellpose-cases.ts";

test("random labels match the CPU twin in both modes, on one channel of a batch", async () => {
  console.log(`[node] ${await cases.randomMatchesTwin()}`);
});
test("a winding one-voxel path is one object with one center", async () => {
  console.log(`[node] ${await cases.serpentineIsOneObject()}`);
});
test("a sphere's flows point to its center: unit length inside, zero outside, NaN where unknown", async () => {
  console.log(`[node] ${await cases.sphereFlowsPointToCenter()}`);
});
test("touching instances do not bleed into each other", cases.touchingInstancesDoNotBleed);
test("separate blobs of a binary mask get their own centers", cases.binaryComponentsGetOwnCenters);
test("default iterations follow each sample's foreground extent", cases.defaultIterationsPerSample);
test("batches beyond the binding limit are split into groups", async () => {
  console.log(`[node] ${await cases.groupsSplitLargeBatches()}`);
});
test("bad inputs raise ArgumentError naming the field", cases.badInputsAreRejected);
test("2D images: random labels match the CPU twin in both modes, on one channel of a batch", async () => {
  console.log(`[node] ${await cases.random2dMatchesTwin()}`);
});
test("a disk's 2D flows [2, h, w] point to its center: unit length inside, zero outside, NaN where unknown", async () => {
  console.log(`[node] ${await cases.diskFlowsPointToCenter()}`);
});
