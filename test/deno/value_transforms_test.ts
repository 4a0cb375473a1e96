// Value transforms and class relationships in Deno: built-in navigator.gpu (lavapipe on machines
// without a GPU), each shader against its CPU twin. Bodies in test/setup/value-transform-cases.ts
// and test/setup/label-cases.ts.
import { valueTransformCases as cases } from "../setup/value-transform-cases.ts";
import { labelCases } from "../setup/label-cases.ts";

Deno.test("value transforms: random pointwise op lists match the CPU twin in one dispatch", async () => {
  console.log(`[deno] ${await cases.pointwiseMatchesTwin()}`);
});
Deno.test("value transforms: contrast and blur stages match the CPU twin", async () => {
  console.log(`[deno] ${await cases.barriersMatchTwin()}`);
});
Deno.test("value transforms: a blur wider than the volume reflects like scipy", cases.wideBlurMatchesTwin);
Deno.test("value transforms: drawn specs match the CPU twin with few dispatches", async () => {
  console.log(`[deno] ${await cases.drawnSpecsMatchTwin()}`);
});
Deno.test("value transforms: noise is deterministic, standard normal and independent", async () => {
  console.log(`[deno] ${await cases.noiseIsDeterministicAndNormal()}`);
});
Deno.test("value transforms: an unaligned byte offset is respected", cases.unalignedOffsetIsRespected);
Deno.test("value transforms: batches beyond the binding limit are split into groups", async () => {
  console.log(`[deno] ${await cases.groupsSplitLargeBatches()}`);
});
Deno.test("value transforms: bad inputs raise ArgumentError naming the field", cases.badInputsAreRejected);
Deno.test("value transforms: nanToNum and binarize handle NaN and infinities", cases.specialValues);

Deno.test("labels: a hand-built case gets exactly the known true negatives", labelCases.handBuiltTrueNegatives);
Deno.test("labels: a one-way relation with a numeric empty value", labelCases.oneWayRelationWithNumericEmpty);
Deno.test("labels: random cases match the CPU twin exactly", async () => {
  console.log(`[deno] ${await labelCases.randomMatchesTwin()}`);
});
Deno.test("labels: batches beyond the binding limit are split into groups", labelCases.groupsSplitLargeBatches);
Deno.test("labels: malformed inputs raise ArgumentError naming the field", labelCases.badInputsAreRejected);
