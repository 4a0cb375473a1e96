// The resample shader against its CPU twin in Chromium (vitest browser mode): navigator.gpu,
// SwiftShader on machines without a GPU. Bodies in test/setup/resample-cases.ts.
import { test } from "vitest";
import { resampleCases as cases } from "./setup/resample-cases.ts";

test("identity with integer offsets copies source voxels, pads and fills", cases.identityCopiesVoxels);
test("every storage kind, linear and nearest, matches the CPU twin", async () => {
  console.log(`[chromium] ${await cases.matchesTwinAllKinds()}`);
});
test("samples crossing hundreds of chunks match the CPU twin", cases.matchesTwinAcrossChunks);
test("a large batch uses the 2D dispatch and matches the CPU twin", async () => {
  console.log(`[chromium] ${await cases.largeOutputUses2dDispatch()}`);
});
test("inconsistent dispatch inputs raise ArgumentError", cases.badInputsAreRejected);
test("chunks pack into the slot layout and read back", cases.packingFollowsTheLayout);
test("the dispatch grid covers the output", cases.gridCoversTheOutput);
test("pipelines specialized per dispatch give the generic pipeline's bits", async () => {
  console.log(`[chromium] ${await cases.specializedMatchesGeneric()}`);
});
test("permuted dispatches get a copy pipeline with the generic pipeline's bits", async () => {
  console.log(`[chromium] ${await cases.copyPipelineMatchesGeneric()}`);
});
test("a pipeline specialized for another dispatch raises ArgumentError", cases.wrongVariantIsRejected);
