// Level choice and the per-sample affine. Bodies in test/setup/transformer-cases.ts (also run by
// test/deno/parity_test.ts and test/parity.browser.test.ts).
import { describe, test } from "vitest";
import { transformerCases as cases } from "./setup/transformer-cases.ts";

describe("chooseLevel", () => {
  test("picks the coarsest level not coarser than asked on any axis", cases.coarsestNotCoarser);
  test("falls back to level 0 when every level is coarser than asked", cases.fallsBackToLevel0);
});

describe("CoordinateTransformer", () => {
  test("one composed affine equals the world-coordinate formula for every corner", cases.composedAffine);
  test("a sample entirely outside the volume has no box", cases.outsideHasNoBox);
  test("rejects bad output shapes with the field named", cases.rejectsBadOutputs);
});
