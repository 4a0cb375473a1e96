// The seeded generator and the spatial-transform config: determinism, distributions, parsing
// errors, and the matrices each transform stands for (checked on unit vectors by hand). Bodies in
// test/setup/augment-cases.ts (also run by test/deno/logic_test.ts and test/logic.browser.test.ts).
import { describe, test } from "vitest";
import { augmentCases as cases } from "./setup/augment-cases.ts";

describe("rngFor", () => {
  test("the same key gives the same stream; other keys and splits differ", cases.rngKeys);
  test("values are stable (the same in every runtime)", cases.rngStable);
  test("uniform, int and normal have the right ranges and moments", cases.rngDistributions);
});

describe("spatial transforms", () => {
  test("parse errors name the field", cases.parseErrors);
  test("mirror with p = 1 flips that axis; p = 0 never", cases.mirror);
  test("transpose permutes only the listed axes, each permutation about equally often", cases.transpose);
  test("rotations are right-handed in (x, y, z) and proper", cases.rotations);
  test("transforms compose in the order the config lists them", cases.compositionOrder);
});
