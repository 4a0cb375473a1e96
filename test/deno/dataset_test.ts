// Dataset and loader in Deno: built-in navigator.gpu (lavapipe on machines without a GPU).
import { datasetCases as cases } from "../setup/dataset-cases.ts";

Deno.test("the seeded generator gives the same numbers in every runtime", cases.rngIsStable);
Deno.test("get(i) reads raw voxels and crop labels; an unannotated class is NaN", cases.getReadsVoxels);
Deno.test("a mirror with p=1 on x equals the un-augmented sample flipped on x", cases.mirrorFlipsX);
Deno.test("inputs and targets stay aligned under rotation", cases.alignedUnderRotation);
Deno.test("class counts from complement_counts or counted; weights bg/fg", cases.classCounts);
Deno.test("an epoch has exactly iterationsPerEpoch batches of batchSize", cases.epochHasExactBatches);
Deno.test("same seed gives bit-identical batches with prefetch 1 and 4", cases.deterministicAcrossPrefetch);
Deno.test("rank/worldSize shards are disjoint and cover", cases.shardsAreDisjointAndCover);
Deno.test("classRelationships give true negatives (CPU)", () => cases.trueNegatives("cpu"));
Deno.test("classRelationships give true negatives (GPU)", () => cases.trueNegatives("gpu"));
Deno.test("true negatives come before the target value transforms (CPU)", () => cases.trueNegativesBeforeTargetTransforms("cpu"));
Deno.test("true negatives come before the target value transforms (GPU)", () => cases.trueNegativesBeforeTargetTransforms("gpu"));
Deno.test("value transforms per input array and per class (GPU)", () => cases.valueTransforms("gpu"));
Deno.test("GPU dataset matches CPU; GPU batches stay on the device", cases.gpuMatchesCpu);
