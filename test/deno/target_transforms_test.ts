// Distance transforms and custom value ops in Deno: built-in navigator.gpu (lavapipe on machines
// without a GPU). Bodies in test/setup/target-transform-cases.ts.
import { targetTransformCases as cases } from "../setup/target-transform-cases.ts";

Deno.test("target transforms: distance transforms of a batch match the CPU twin", async () => {
  console.log(`[deno] ${await cases.distancesMatchTwin()}`);
});
Deno.test("target transforms: sparse sites in a larger sample match the CPU twin", async () => {
  console.log(`[deno] ${await cases.sparseSitesMatchTwin()}`);
});
Deno.test("target transforms: distance scratch beyond the binding limit is split into groups", async () => {
  console.log(`[deno] ${await cases.distanceGroupsSplit()}`);
});
Deno.test("target transforms: a dataset's signedDistance targets equal the brute-force distance (cpu)", async () => {
  console.log(`[deno] ${await cases.datasetSignedDistance("cpu")}`);
});
Deno.test("target transforms: a dataset's signedDistance targets equal the brute-force distance (gpu)", async () => {
  console.log(`[deno] ${await cases.datasetSignedDistance("gpu")}`);
});
Deno.test("target transforms: a dataset of 2D slices measures with the in-plane voxel size", async () => {
  console.log(`[deno] ${await cases.slicedDatasetDistance()}`);
});
Deno.test("target transforms: custom ops on the GPU match their cpu twins", async () => {
  console.log(`[deno] ${await cases.customMatchesTwin()}`);
});
Deno.test("target transforms: a custom op that does not compile is a typed error naming the op", cases.customCompileErrorIsTyped);
Deno.test("target transforms: a CPU dataset refuses a custom op without cpu", cases.cpuDatasetNeedsTwin);
Deno.test("target transforms: bad distance and custom entries raise ArgumentError naming the field", cases.badSpecsAreRejected);
