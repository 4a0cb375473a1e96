// Value transforms in Chromium (vitest browser mode): navigator.gpu, SwiftShader on machines
// without a GPU. Bodies in test/setup/value-transform-cases.ts.
import { test } from "vitest";
import { valueTransformCases as cases } from "./setup/value-transform-cases.ts";

test("random pointwise op lists match the CPU twin in one dispatch", async () => {
  console.log(`[chromium] ${await cases.pointwiseMatchesTwin()}`);
});
test("contrast and blur stages at different positions per sample match the CPU twin", async () => {
  console.log(`[chromium] ${await cases.barriersMatchTwin()}`);
});
test("a blur wider than the volume reflects like scipy", cases.wideBlurMatchesTwin);
test("drawn specs match the CPU twin with few dispatches", async () => {
  console.log(`[chromium] ${await cases.drawnSpecsMatchTwin()}`);
});
test("noise is deterministic, standard normal and independent", async () => {
  console.log(`[chromium] ${await cases.noiseIsDeterministicAndNormal()}`);
});
test("an unaligned byte offset is respected", cases.unalignedOffsetIsRespected);
test("batches beyond the binding limit are split into groups", async () => {
  console.log(`[chromium] ${await cases.groupsSplitLargeBatches()}`);
});
test("bad inputs raise ArgumentError naming the field", cases.badInputsAreRejected);
test("nanToNum and binarize handle NaN and infinities", cases.specialValues);
