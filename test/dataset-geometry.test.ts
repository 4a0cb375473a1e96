// Sampling geometry: length and centers against hand computations, padded and not, empty
// boxes, tiles, and a grid far too large to list.
import { describe, expect, test } from "vitest";
import { splitTargetPath } from "../src/dataset/dataset.ts";
import { arrayBounds, intersectBoxes, SamplingGrid } from "../src/dataset/sampling-geometry.ts";

describe("SamplingGrid", () => {
  // Raw: 100 x 200 x 200 voxels of 8 x 4 x 4 nm at translation (4, 2, 2): world [0, 800] x [0, 800]^2.
  const raw = arrayBounds({ shape: [100, 200, 200], scale: [8, 4, 4], translation: [4, 2, 2] });
  // A crop: 20 x 30 x 40 voxels of 4 nm at (102, 202, 302): world [100, 180] x [200, 320] x [300, 460].
  const crop = arrayBounds({ shape: [20, 30, 40], scale: [4, 4, 4], translation: [102, 202, 302] });
  const outputs = [
    { shape: [4, 8, 8] as [number, number, number], scale: [8, 4, 4] as [number, number, number] }, // 32 x 32 x 32 nm
    { shape: [2, 4, 4] as [number, number, number], scale: [4, 8, 8] as [number, number, number] }, // 8 x 32 x 32 nm
  ];

  test("bounds are voxel extents; the box is their intersection", () => {
    expect(raw).toEqual({ lo: [0, 0, 0], hi: [800, 800, 800] });
    expect(crop).toEqual({ lo: [100, 200, 300], hi: [180, 320, 460] });
    expect(intersectBoxes([raw, crop])).toEqual(crop);
  });

  test("without pad: shrunk by half the largest extent, step = largest voxel size, centered grid", () => {
    const g = new SamplingGrid({ bounds: [raw, crop], outputs, pad: false });
    // Largest extent 32 nm per axis: box z [116, 164], y [216, 304], x [316, 444]. Step [8, 8, 8].
    expect(g.box).toEqual({ lo: [116, 216, 316], hi: [164, 304, 444] });
    expect(g.step).toEqual([8, 8, 8]);
    // n = floor(size / 8) + 1: z 48/8+1 = 7, y 88/8+1 = 12, x 128/8+1 = 17.
    expect(g.dims).toEqual([7, 12, 17]);
    expect(g.length).toBe(7 * 12 * 17);
    // Sizes are multiples of the step, so the first center is the box corner.
    expect(g.center(0)).toEqual([116, 216, 316]);
    expect(g.center(1)).toEqual([116, 216, 324]);
    expect(g.center(17)).toEqual([116, 224, 316]);
    expect(g.center(12 * 17)).toEqual([124, 216, 316]);
    expect(g.center(g.length - 1)).toEqual([164, 304, 444]);
    // row-major: index (z, y, x) = (3, 5, 7).
    expect(g.unravel(3 * 204 + 5 * 17 + 7)).toEqual([3, 5, 7]);
    expect(g.ravel([3, 5, 7])).toBe(3 * 204 + 5 * 17 + 7);
  });

  test("without pad each array is shrunk by its own outputs: a small crop only has to hold the targets", () => {
    const big = { shape: [64, 64, 64] as [number, number, number], scale: [4, 4, 4] as [number, number, number] }; // 256 nm
    const small = { shape: [4, 4, 4] as [number, number, number], scale: [8, 8, 8] as [number, number, number] }; // 32 nm
    // The crop (80 x 120 x 160 nm) is smaller than the input's 256 nm, but holds the 32 nm target.
    const g = new SamplingGrid({ bounds: [{ box: raw, outputs: [big] }, { box: crop, outputs: [small] }], outputs: [big, small], pad: false });
    // raw shrunk by 128: [128, 672]; crop shrunk by 16: z [116, 164], y [216, 304], x [316, 444].
    expect(g.box).toEqual({ lo: [128, 216, 316], hi: [164, 304, 444] });
    expect(g.length).toBeGreaterThan(0);
    // Shrinking every array by the largest output leaves nothing.
    expect(new SamplingGrid({ bounds: [raw, crop], outputs: [big, small], pad: false }).length).toBe(0);
  });

  test("leftover space is split evenly on both sides", () => {
    const box = { lo: [0, 0, 0] as [number, number, number], hi: [10, 10, 13] as [number, number, number] };
    const g = new SamplingGrid({ bounds: [box], outputs: [{ shape: [1, 1, 1], scale: [4, 4, 4] }], pad: true });
    // x: size 13, n = floor(13/4) + 1 = 4, first center (13 - 12) / 2 = 0.5.
    expect(g.dims).toEqual([3, 3, 4]);
    expect(g.center(0)).toEqual([1, 1, 0.5]);
    expect(g.center(3)).toEqual([1, 1, 12.5]);
  });

  test("with pad the box is not shrunk: a crop smaller than the output still has samples", () => {
    const small = arrayBounds({ shape: [2, 2, 2], scale: [4, 4, 4], translation: [102, 202, 302] }); // 8 nm
    expect(new SamplingGrid({ bounds: [raw, small], outputs, pad: false }).length).toBe(0);
    const g = new SamplingGrid({ bounds: [raw, small], outputs, pad: true });
    expect(g.box).toEqual({ lo: [100, 200, 300], hi: [108, 208, 308] });
    expect(g.dims).toEqual([2, 2, 2]);
    expect(g.center(0)).toEqual([100, 200, 300]);
  });

  test("tiles do not overlap and step by ceil(extent / step)", () => {
    const g = new SamplingGrid({ bounds: [raw, crop], outputs, pad: false });
    const tiles = g.tiles([32, 32, 32]); // 4 steps per axis
    expect(tiles.length).toBe(2 * 3 * 5); // ceil(7/4), ceil(12/4), ceil(17/4)
    expect(g.center(tiles.at(0))).toEqual([116, 216, 316]);
    expect(g.center(tiles.at(1))).toEqual([116, 216, 348]);
    expect(g.center(tiles.at(5))).toEqual([116, 248, 316]);
    expect(() => tiles.at(30)).toThrow();
  });

  test("a grid of 10^5 voxels per axis is computed lazily", () => {
    const huge = arrayBounds({ shape: [100_000, 100_000, 100_000], scale: [4, 4, 4], translation: [0, 0, 0] });
    const g = new SamplingGrid({ bounds: [huge], outputs: [{ shape: [64, 64, 64], scale: [4, 4, 4] }], pad: false });
    // Bounds [-2, 399998] per axis, shrunk by 128: [126, 399870]; n = 399744 / 4 + 1 = 99937.
    expect(g.box.lo[0]).toBe(126);
    expect(g.box.hi[0]).toBe(399870);
    expect(g.dims).toEqual([99937, 99937, 99937]);
    expect(g.length).toBe(99937 ** 3);
    const last = g.length - 1;
    expect(g.center(last)).toEqual([399870, 399870, 399870]);
    expect(g.center(Math.floor(last / 2))).toEqual([126 + 49968 * 4, 126 + 49968 * 4, 126 + 49968 * 4]);
  });

  test("target path templates name the classes", () => {
    const t = splitTargetPath("/d.zarr/recon-1/labels/groundtruth/crop1/[mito, er]");
    expect(t.classes).toEqual(["mito", "er"]);
    expect(t.url("er")).toBe("/d.zarr/recon-1/labels/groundtruth/crop1/er");
    const single = splitTargetPath("https://h/d.zarr/crop2/nucleus/");
    expect(single.classes).toEqual(["nucleus"]);
    expect(single.url("nucleus")).toBe("https://h/d.zarr/crop2/nucleus");
    expect(splitTargetPath("/d/crop1/[mito]/s0").url("mito")).toBe("/d/crop1/mito/s0");
  });
});
