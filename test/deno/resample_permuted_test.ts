// The CPU resample twin's fast path against its general path and the previous twin, in Deno.
// Bodies in test/setup/resample-permuted-cases.ts.
import { resamplePermutedCases as cases } from "../setup/resample-permuted-cases.ts";

Deno.test("600 random signed permutations give the general path's bits, every kind, linear and nearest", () => {
  console.log(`[deno] ${cases.randomPermutations()}`);
});
Deno.test("larger permuted volumes crossing many chunks give the general path's bits", cases.largerVolumes);
Deno.test("identity, mirrors, transposes and 90° rotations are copies of the source", cases.namedTransforms);
Deno.test("a matrix 1e-9 off a permutation, a fractional offset, a scale or a displacement takes the general path", cases.nearMissesTakeTheGeneralPath);
Deno.test("trilinear copies next to NaN, infinite or -0 values keep the general path's bits", cases.uncleanNeighbours);
