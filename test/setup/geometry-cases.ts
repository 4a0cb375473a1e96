// Sampling-geometry test bodies shared by the Node (vitest), Chromium (vitest browser mode) and
// Deno suites: length and centers against hand computations, padded and not, empty boxes,
// tiles, a grid far too large to list, and target path templates. Plain functions that throw on
// failure; no GPU, file system or network.

import { splitTargetPath } from "../../src/dataset/dataset.ts";
import { arrayBounds, intersectBoxes, SamplingGrid } from "../../src/dataset/sampling-geometry.ts";
import { check, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

type Vec3 = [number, number, number];

// Raw: 100 x 200 x 200 voxels of 8 x 4 x 4 nm at translation (4, 2, 2): world [0, 800] x [0, 800]^2.
const raw = arrayBounds({ shape: [100, 200, 200], scale: [8, 4, 4], translation: [4, 2, 2] });
// A crop: 20 x 30 x 40 voxels of 4 nm at (102, 202, 302): world [100, 180] x [200, 320] x [300, 460].
const crop = arrayBounds({ shape: [20, 30, 40], scale: [4, 4, 4], translation: [102, 202, 302] });
const outputs = [
  { shape: [4, 8, 8] as Vec3, scale: [8, 4, 4] as Vec3 }, // 32 x 32 x 32 nm
  { shape: [2, 4, 4] as Vec3, scale: [4, 8, 8] as Vec3 }, // 8 x 32 x 32 nm
];

export const geometryCases = {
  /** Bounds are voxel extents; the box is their intersection. */
  "bounds are voxel extents; the box is their intersection"(): void {
    same(raw, { lo: [0, 0, 0], hi: [800, 800, 800] }, "raw bounds");
    same(crop, { lo: [100, 200, 300], hi: [180, 320, 460] }, "crop bounds");
    same(intersectBoxes([raw, crop]), crop, "intersection");
  },

  /** Without pad: shrunk by half the largest extent, step = largest voxel size, centered grid. */
  "without pad: shrunk by half the largest extent, step = largest voxel size, centered grid"(): void {
    const g = new SamplingGrid({ bounds: [raw, crop], outputs, pad: false });
    // Largest extent 32 nm per axis: box z [116, 164], y [216, 304], x [316, 444]. Step [8, 8, 8].
    same(g.box, { lo: [116, 216, 316], hi: [164, 304, 444] }, "box");
    same(g.step, [8, 8, 8], "step");
    // n = floor(size / 8) + 1: z 48/8+1 = 7, y 88/8+1 = 12, x 128/8+1 = 17.
    same(g.dims, [7, 12, 17], "dims");
    same(g.length, 7 * 12 * 17, "length");
    // Sizes are multiples of the step, so the first center is the box corner.
    same(g.center(0), [116, 216, 316], "center 0");
    same(g.center(1), [116, 216, 324], "center 1");
    same(g.center(17), [116, 224, 316], "center 17");
    same(g.center(12 * 17), [124, 216, 316], "center 204");
    same(g.center(g.length - 1), [164, 304, 444], "last center");
    // row-major: index (z, y, x) = (3, 5, 7).
    same(g.unravel(3 * 204 + 5 * 17 + 7), [3, 5, 7], "unravel");
    same(g.ravel([3, 5, 7]), 3 * 204 + 5 * 17 + 7, "ravel");
  },

  /** Without pad each array is shrunk by its own outputs: a small crop only has to hold the targets. */
  "without pad each array is shrunk by its own outputs: a small crop only has to hold the targets"(): void {
    const big = { shape: [64, 64, 64] as Vec3, scale: [4, 4, 4] as Vec3 }; // 256 nm
    const small = { shape: [4, 4, 4] as Vec3, scale: [8, 8, 8] as Vec3 }; // 32 nm
    // The crop (80 x 120 x 160 nm) is smaller than the input's 256 nm, but holds the 32 nm target.
    const g = new SamplingGrid({ bounds: [{ box: raw, outputs: [big] }, { box: crop, outputs: [small] }], outputs: [big, small], pad: false });
    // raw shrunk by 128: [128, 672]; crop shrunk by 16: z [116, 164], y [216, 304], x [316, 444].
    same(g.box, { lo: [128, 216, 316], hi: [164, 304, 444] }, "box");
    check(g.length > 0, "the grid has samples");
    // Shrinking every array by the largest output leaves nothing.
    same(new SamplingGrid({ bounds: [raw, crop], outputs: [big, small], pad: false }).length, 0, "length when every array is shrunk by the largest output");
  },

  /** Leftover space is split evenly on both sides. */
  "leftover space is split evenly on both sides"(): void {
    const box = { lo: [0, 0, 0] as Vec3, hi: [10, 10, 13] as Vec3 };
    const g = new SamplingGrid({ bounds: [box], outputs: [{ shape: [1, 1, 1], scale: [4, 4, 4] }], pad: true });
    // x: size 13, n = floor(13/4) + 1 = 4, first center (13 - 12) / 2 = 0.5.
    same(g.dims, [3, 3, 4], "dims");
    same(g.center(0), [1, 1, 0.5], "center 0");
    same(g.center(3), [1, 1, 12.5], "center 3");
  },

  /** With pad the box is not shrunk: a crop smaller than the output still has samples. */
  "with pad the box is not shrunk: a crop smaller than the output still has samples"(): void {
    const small = arrayBounds({ shape: [2, 2, 2], scale: [4, 4, 4], translation: [102, 202, 302] }); // 8 nm
    same(new SamplingGrid({ bounds: [raw, small], outputs, pad: false }).length, 0, "length without pad");
    const g = new SamplingGrid({ bounds: [raw, small], outputs, pad: true });
    same(g.box, { lo: [100, 200, 300], hi: [108, 208, 308] }, "box");
    same(g.dims, [2, 2, 2], "dims");
    same(g.center(0), [100, 200, 300], "center 0");
  },

  /** Tiles do not overlap and step by ceil(extent / step). */
  "tiles do not overlap and step by ceil(extent / step)"(): void {
    const g = new SamplingGrid({ bounds: [raw, crop], outputs, pad: false });
    const tiles = g.tiles([32, 32, 32]); // 4 steps per axis
    same(tiles.length, 2 * 3 * 5, "tile count"); // ceil(7/4), ceil(12/4), ceil(17/4)
    same(g.center(tiles.at(0)), [116, 216, 316], "tile 0");
    same(g.center(tiles.at(1)), [116, 216, 348], "tile 1");
    same(g.center(tiles.at(5)), [116, 248, 316], "tile 5");
    let threw = false;
    try {
      tiles.at(30);
    } catch {
      threw = true;
    }
    check(threw, "tiles.at(30) should throw (30 tiles)");
  },

  /** A grid of 10^5 voxels per axis is computed lazily. */
  "a grid of 10^5 voxels per axis is computed lazily"(): void {
    const huge = arrayBounds({ shape: [100_000, 100_000, 100_000], scale: [4, 4, 4], translation: [0, 0, 0] });
    const g = new SamplingGrid({ bounds: [huge], outputs: [{ shape: [64, 64, 64], scale: [4, 4, 4] }], pad: false });
    // Bounds [-2, 399998] per axis, shrunk by 128: [126, 399870]; n = 399744 / 4 + 1 = 99937.
    same([g.box.lo[0], g.box.hi[0]], [126, 399870], "box along z");
    same(g.dims, [99937, 99937, 99937], "dims");
    same(g.length, 99937 ** 3, "length");
    const last = g.length - 1;
    same(g.center(last), [399870, 399870, 399870], "last center");
    const mid = 126 + 49968 * 4;
    same(g.center(Math.floor(last / 2)), [mid, mid, mid], "middle center");
  },

  /** Target path templates name the classes. */
  "target path templates name the classes"(): void {
    const t = splitTargetPath("/d.zarr/recon-1/labels/groundtruth/crop1/[mito, er]");
    same(t.classes, ["mito", "er"], "classes");
    same(t.url("er"), "/d.zarr/recon-1/labels/groundtruth/crop1/er", "url of er");
    const single = splitTargetPath("https://h/d.zarr/crop2/nucleus/");
    same(single.classes, ["nucleus"], "classes of a single-class path");
    same(single.url("nucleus"), "https://h/d.zarr/crop2/nucleus", "url of nucleus");
    same(splitTargetPath("/d/crop1/[mito]/s0").url("mito"), "/d/crop1/mito/s0", "url with a level suffix");
  },
} satisfies Cases;
