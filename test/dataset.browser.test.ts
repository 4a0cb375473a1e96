// Dataset and loader in Chromium (vitest browser mode): navigator.gpu, SwiftShader without a GPU.
import { test } from "vitest";
import { datasetCases as cases } from "./setup/dataset-cases.ts";

test("the seeded generator gives the same numbers in every runtime", cases.rngIsStable);
test("get(i) reads raw voxels and crop labels; an unannotated class is NaN", cases.getReadsVoxels);
test("a mirror with p=1 on x equals the un-augmented sample flipped on x", cases.mirrorFlipsX);
test("inputs and targets stay aligned under rotation", cases.alignedUnderRotation);
test("class counts from complement_counts or counted; weights bg/fg", cases.classCounts);
test("an epoch has exactly iterationsPerEpoch batches of batchSize", cases.epochHasExactBatches);
test("same seed gives bit-identical batches with prefetch 1 and 4", cases.deterministicAcrossPrefetch);
test("rank/worldSize shards are disjoint and cover", cases.shardsAreDisjointAndCover);
test("classRelationships give true negatives (GPU)", () => cases.trueNegatives("gpu"));
test("true negatives come before the target value transforms (GPU)", () => cases.trueNegativesBeforeTargetTransforms("gpu"));
test("value transforms per input array and per class (GPU)", () => cases.valueTransforms("gpu"));
test("GPU dataset matches CPU; GPU batches stay on the device", cases.gpuMatchesCpu);
