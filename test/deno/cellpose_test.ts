// Cellpose flow targets in Deno: built-in navigator.gpu (lavapipe on machines without a GPU), the
// shader against its CPU twin and against geometry. Bodies in test/setup/cellpose-cases.ts.
import { cellposeCases as cases } from "../setup/cellpose-cases.ts";

Deno.test("random labels match the CPU twin in both modes, on one channel of a batch", async () => {
  console.log(`[deno] ${await cases.randomMatchesTwin()}`);
});
Deno.test("a winding one-voxel path is one object with one center", async () => {
  console.log(`[deno] ${await cases.serpentineIsOneObject()}`);
});
Deno.test("a sphere's flows point to its center: unit length inside, zero outside, NaN where unknown", async () => {
  console.log(`[deno] ${await cases.sphereFlowsPointToCenter()}`);
});
Deno.test("touching instances do not bleed into each other", cases.touchingInstancesDoNotBleed);
Deno.test("separate blobs of a binary mask get their own centers", cases.binaryComponentsGetOwnCenters);
Deno.test("default iterations follow each sample's foreground extent", cases.defaultIterationsPerSample);
Deno.test("batches beyond the binding limit are split into groups", async () => {
  console.log(`[deno] ${await cases.groupsSplitLargeBatches()}`);
});
Deno.test("bad inputs raise ArgumentError naming the field", cases.badInputsAreRejected);
Deno.test("2D images: random labels match the CPU twin in both modes, on one channel of a batch", async () => {
  console.log(`[deno] ${await cases.random2dMatchesTwin()}`);
});
Deno.test("a disk's 2D flows [2, h, w] point to its center: unit length inside, zero outside, NaN where unknown", async () => {
  console.log(`[deno] ${await cases.diskFlowsPointToCenter()}`);
});
