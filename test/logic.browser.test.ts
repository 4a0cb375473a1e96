// Runtime-independent logic in Chromium (vitest browser mode): sampling geometry, the seeded
// generator and spatial draws, samplers and loader options, and the data split over the
// in-memory fixture. Bodies in test/setup/{geometry,augment,sampler,datasplit}-cases.ts.
import { test } from "vitest";
import { augmentCases as augment } from "./setup/augment-cases.ts";
import { datasplitCases as datasplit } from "./setup/datasplit-cases.ts";
import { geometryCases as geometry } from "./setup/geometry-cases.ts";
import { samplerCases as sampler } from "./setup/sampler-cases.ts";

// Sampling geometry (test/dataset-geometry.test.ts)
test("bounds are voxel extents; the box is their intersection", geometry.boundsAreVoxelExtents);
test("without pad: shrunk by half the largest extent, step = largest voxel size, centered grid", geometry.unpaddedGrid);
test("without pad each array is shrunk by its own outputs: a small crop only has to hold the targets", geometry.shrinkPerArray);
test("leftover space is split evenly on both sides", geometry.leftoverSplitEvenly);
test("with pad the box is not shrunk: a crop smaller than the output still has samples", geometry.paddedSmallCrop);
test("tiles do not overlap and step by ceil(extent / step)", geometry.tiles);
test("a grid of 10^5 voxels per axis is computed lazily", geometry.hugeGridIsLazy);
test("target path templates name the classes", geometry.targetPathTemplates);

// The seeded generator and spatial draws (test/augment.test.ts)
test("the same key gives the same stream; other keys and splits differ", augment.rngKeys);
test("values are stable (the same in every runtime)", augment.rngStable);
test("uniform, int and normal have the right ranges and moments", augment.rngDistributions);
test("parse errors name the field", augment.parseErrors);
test("mirror with p = 1 flips that axis; p = 0 never", augment.mirror);
test("transpose permutes only the listed axes, each permutation about equally often", augment.transpose);
test("rotations are right-handed in (x, y, z) and proper", augment.rotations);
test("transforms compose in the order the config lists them", augment.compositionOrder);

// Samplers and loader options (test/dataloader.test.ts)
test("a keyed permutation is a bijection of [0, n) for any n", sampler.permutationIsBijection);
test("random: each pass over the data visits every index once", sampler.randomVisitsEachOnce);
test("sequential: positions in order, wrapping around", sampler.sequentialInOrder);
test("weighted: runs are drawn in proportion to their class-weighted foreground", sampler.weightedProportions);
test("classBalanced: the least-seen class is picked next", sampler.classBalancedAlternates);
test("loader options are validated", sampler.loaderOptions);

// The data split (test/datasplit.test.ts), on the in-memory fixture over its fetch
test("the 5-column layout joins root and dataset like os.path.join", datasplit.fiveColumns);
test("the 3-column layout takes whole paths; a header line is skipped; quotes may hold commas", datasplit.threeColumns);
test("bad rows name their line", datasplit.badRows);
test("from a 5-column CSV text over HTTP: the same split from the in-memory fixture", async () => {
  console.log(`[chromium] ${await datasplit.fromCsv()}`);
});
test("from a dict, from opened datasets, and exactly one source (HTTP)", () => datasplit.oneSource());
