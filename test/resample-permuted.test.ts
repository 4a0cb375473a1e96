// The CPU resample twin's fast path (signed axis permutations with integer offsets, copied instead
// of interpolated) against its general path and the previous twin, in Node. Bodies in
// test/setup/resample-permuted-cases.ts (also run by test/deno/resample_permuted_test.ts and
// test/resample-permuted.browser.test.ts).
import { test } from "vitest";
import { resamplePermutedCases as cases } from "./setup/resample-permuted-cases.ts";

test("600 random signed permutations give the general path's bits, every kind, linear and nearest", () => {
  console.log(`[node] ${cases.randomPermutations()}`);
});
test("larger permuted volumes crossing many chunks give the general path's bits", cases.largerVolumes);
test("identity, mirrors, transposes and 90° rotations are copies of the source", cases.namedTransforms);
test("a matrix 1e-9 off a permutation, a fractional offset, a scale or a displacement takes the general path", cases.nearMissesTakeTheGeneralPath);
test("trilinear copies next to NaN, infinite or -0 values keep the general path's bits", cases.uncleanNeighbours);
