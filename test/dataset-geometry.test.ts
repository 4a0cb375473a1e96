// Sampling geometry: length and centers against hand computations, padded and not, empty
// boxes, tiles, and a grid far too large to list. Bodies in test/setup/geometry-cases.ts (also
// run by test/deno/logic_test.ts and test/logic.browser.test.ts).
import { describe, test } from "vitest";
import { geometryCases as cases } from "./setup/geometry-cases.ts";

describe("SamplingGrid", () => {
  test("bounds are voxel extents; the box is their intersection", cases.boundsAreVoxelExtents);
  test("without pad: shrunk by half the largest extent, step = largest voxel size, centered grid", cases.unpaddedGrid);
  test("without pad each array is shrunk by its own outputs: a small crop only has to hold the targets", cases.shrinkPerArray);
  test("leftover space is split evenly on both sides", cases.leftoverSplitEvenly);
  test("with pad the box is not shrunk: a crop smaller than the output still has samples", cases.paddedSmallCrop);
  test("tiles do not overlap and step by ceil(extent / step)", cases.tiles);
  test("a grid of 10^5 voxels per axis is computed lazily", cases.hugeGridIsLazy);
  test("target path templates name the classes", cases.targetPathTemplates);
});
