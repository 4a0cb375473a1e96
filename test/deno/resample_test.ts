// The resample shader against its CPU twin in Deno: built-in navigator.gpu (lavapipe on machines
// without a GPU). Bodies in test/setup/resample-cases.ts.
import { resampleCases as cases } from "../setup/resample-cases.ts";

Deno.test("identity with integer offsets copies source voxels, pads and fills", cases.identityCopiesVoxels);
Deno.test("every storage kind, linear and nearest, matches the CPU twin", async () => {
  console.log(`[deno] ${await cases.matchesTwinAllKinds()}`);
});
Deno.test("samples crossing hundreds of chunks match the CPU twin", cases.matchesTwinAcrossChunks);
Deno.test("a large batch uses the 2D dispatch and matches the CPU twin", async () => {
  console.log(`[deno] ${await cases.largeOutputUses2dDispatch()}`);
});
Deno.test("inconsistent dispatch inputs raise ArgumentError", cases.badInputsAreRejected);
Deno.test("chunks pack into the slot layout and read back", cases.packingFollowsTheLayout);
Deno.test("the dispatch grid covers the output", cases.gridCoversTheOutput);
Deno.test("pipelines specialized per dispatch give the generic pipeline's bits", async () => {
  console.log(`[deno] ${await cases.specializedMatchesGeneric()}`);
});
Deno.test("permuted dispatches get a copy pipeline with the generic pipeline's bits", async () => {
  console.log(`[deno] ${await cases.copyPipelineMatchesGeneric()}`);
});
Deno.test("a pipeline specialized for another dispatch raises ArgumentError", cases.wrongVariantIsRejected);
