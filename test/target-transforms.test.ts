// Distance transforms and custom value ops in Node: Dawn from the npm package `webgpu`
// (SwiftShader on machines without a GPU). Bodies in test/setup/target-transform-cases.ts.
import { test } from "vitest";
import { targetTransformCases as cases } from "./setup/target-transform-cases.ts";

test("distance transforms of a batch match the CPU twin", async () => {
  console.log(`[node] ${await cases.distancesMatchTwin()}`);
});
test("sparse sites in a larger sample match the CPU twin", async () => {
  console.log(`[node] ${await cases.sparseSitesMatchTwin()}`);
});
test("distance scratch beyond the binding limit is split into groups", async () => {
  console.log(`[node] ${await cases.distanceGroupsSplit()}`);
});
test("a dataset's signedDistance targets equal the brute-force distance (cpu)", async () => {
  console.log(`[node] ${await cases.datasetSignedDistance("cpu")}`);
});
test("a dataset's signedDistance targets equal the brute-force distance (gpu)", async () => {
  console.log(`[node] ${await cases.datasetSignedDistance("gpu")}`);
});
test("a dataset of 2D slices measures with the in-plane voxel size", async () => {
  console.log(`[node] ${await cases.slicedDatasetDistance()}`);
});
test("custom ops on the GPU match their cpu twins", async () => {
  console.log(`[node] ${await cases.customMatchesTwin()}`);
});
test("a custom op that does not compile is a typed error naming the op", cases.customCompileErrorIsTyped);
test("a CPU dataset refuses a custom op without cpu", cases.cpuDatasetNeedsTwin);
test("bad distance and custom entries raise ArgumentError naming the field", cases.badSpecsAreRejected);
