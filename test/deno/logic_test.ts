// Runtime-independent logic in Deno: sampling geometry, the seeded generator and spatial draws,
// samplers and loader options, and the data split over the in-memory fixture. No GPU, file
// system or server. Bodies in test/setup/{geometry,augment,sampler,datasplit}-cases.ts.
import { augmentCases as augment } from "../setup/augment-cases.ts";
import { datasplitCases as datasplit } from "../setup/datasplit-cases.ts";
import { geometryCases as geometry } from "../setup/geometry-cases.ts";
import { samplerCases as sampler } from "../setup/sampler-cases.ts";

// Sampling geometry (test/dataset-geometry.test.ts)
Deno.test("bounds are voxel extents; the box is their intersection", geometry.boundsAreVoxelExtents);
Deno.test("without pad: shrunk by half the largest extent, step = largest voxel size, centered grid", geometry.unpaddedGrid);
Deno.test("without pad each array is shrunk by its own outputs: a small crop only has to hold the targets", geometry.shrinkPerArray);
Deno.test("leftover space is split evenly on both sides", geometry.leftoverSplitEvenly);
Deno.test("with pad the box is not shrunk: a crop smaller than the output still has samples", geometry.paddedSmallCrop);
Deno.test("tiles do not overlap and step by ceil(extent / step)", geometry.tiles);
Deno.test("a grid of 10^5 voxels per axis is computed lazily", geometry.hugeGridIsLazy);
Deno.test("target path templates name the classes", geometry.targetPathTemplates);

// The seeded generator and spatial draws (test/augment.test.ts)
Deno.test("the same key gives the same stream; other keys and splits differ", augment.rngKeys);
Deno.test("values are stable (the same in every runtime)", augment.rngStable);
Deno.test("uniform, int and normal have the right ranges and moments", augment.rngDistributions);
Deno.test("parse errors name the field", augment.parseErrors);
Deno.test("mirror with p = 1 flips that axis; p = 0 never", augment.mirror);
Deno.test("transpose permutes only the listed axes, each permutation about equally often", augment.transpose);
Deno.test("rotations are right-handed in (x, y, z) and proper", augment.rotations);
Deno.test("transforms compose in the order the config lists them", augment.compositionOrder);

// Samplers and loader options (test/dataloader.test.ts)
Deno.test("a keyed permutation is a bijection of [0, n) for any n", sampler.permutationIsBijection);
Deno.test("random: each pass over the data visits every index once", sampler.randomVisitsEachOnce);
Deno.test("sequential: positions in order, wrapping around", sampler.sequentialInOrder);
Deno.test("weighted: runs are drawn in proportion to their class-weighted foreground", sampler.weightedProportions);
Deno.test("classBalanced: the least-seen class is picked next", sampler.classBalancedAlternates);
Deno.test("loader options are validated", sampler.loaderOptions);

// The data split (test/datasplit.test.ts), on the in-memory fixture over its fetch
Deno.test("the 5-column layout joins root and dataset like os.path.join", datasplit.fiveColumns);
Deno.test("the 3-column layout takes whole paths; a header line is skipped; quotes may hold commas", datasplit.threeColumns);
Deno.test("bad rows name their line", datasplit.badRows);
Deno.test("from a 5-column CSV text over HTTP: the same split from the in-memory fixture", async () => {
  console.log(`[deno] ${await datasplit.fromCsv()}`);
});
Deno.test("from a dict, from opened datasets, and exactly one source (HTTP)", () => datasplit.oneSource());
