// Neuroglancer link and figure test bodies shared by the Node (vitest), Deno and Chromium (vitest
// browser mode) suites: plain functions that throw on failure. Expected values are worked
// out by hand from the in-memory dataset fixture's geometry (test/setup/dataset-fixture.ts) and
// from hand-made batches; the URL fragment is decoded here with decodeURIComponent + JSON.parse.
// The PNG case takes the runtime's own decoder (Python's zlib in Node, DecompressionStream in
// Deno, createImageBitmap in Chromium).

import { CellMapDataLoader } from "../../src/dataset/dataloader.ts";
import { CellMapDataset } from "../../src/dataset/dataset.ts";
import { isCellMapError } from "../../src/errors.ts";
import { imageDict, imageGrid, type ImageGridOptions } from "../../src/viz/image-grid.ts";
import {
  arrayNeuroglancerUrl,
  datasetNeuroglancerUrl,
  neuroglancerSource,
  neuroglancerState,
  neuroglancerUrl,
} from "../../src/viz/neuroglancer.ts";
import { encodePng, type RgbaImage } from "../../src/viz/png.ts";
import { buildFixture, inBall, MITO, rawAt, SCALE } from "./dataset-fixture.ts";
import { check, equal, same } from "./assert.ts";
import type { Cases } from "./cases.ts";

function pixel(img: RgbaImage, row: number, col: number): number[] {
  check(row >= 0 && row < img.height && col >= 0 && col < img.width, `pixel (${row}, ${col}) outside ${img.width}x${img.height}`);
  const o = (row * img.width + col) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!, img.data[o + 3]!];
}

function pixels(img: RgbaImage, rows: number[], cols: number[], rgb: number[], what: string): void {
  for (const r of rows) for (const c of cols) same(pixel(img, r, c), [...rgb, 255], `${what} at pixel (${r}, ${c})`);
}

/** Channels within `tol` of the expected colour. */
function near(actual: number[], expected: number[], tol: number, what: string): void {
  if (actual.length !== expected.length || actual.some((v, i) => Math.abs(v - expected[i]!) > tol)) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

/** The documented flow colour, from the HSV formula f(n) = v - v * max(0, min(k, 4 - k, 1)). */
function flowOracle(across: number, down: number): number[] {
  const v = Math.min(1, Math.sqrt(across * across + down * down));
  if (v === 0) return [0, 0, 0];
  const hue = ((Math.atan2(down, across) * 180) / Math.PI + 360) % 360;
  const f = (n: number) => {
    const k = (n + hue / 60) % 6;
    return Math.round(255 * (v - v * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

function expectArgumentError(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    if (isCellMapError(e, "argument") && (e as unknown as { field: string }).field === field) return;
    throw new Error(`expected an ArgumentError naming "${field}", got ${String(e)}`);
  }
  throw new Error(`expected an ArgumentError naming "${field}", nothing was thrown`);
}

/** Split a neuroglancer URL into its base and its decoded state. */
function decode(url: string): { base: string; state: Record<string, unknown> } {
  const at = url.indexOf("#!");
  check(at > 0, `no "#!" fragment in ${url}`);
  return { base: url.slice(0, at), state: JSON.parse(decodeURIComponent(url.slice(at + 2))) as Record<string, unknown> };
}

const ROOT = "http://fixture.invalid/sample.zarr/recon-1";

async function openFixture(zarrFormat: 2 | 3): Promise<CellMapDataset<"raw" | "gt">> {
  const fx = await buildFixture(zarrFormat);
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er", "nucleus"],
    inputArrays: { raw: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [2, 2, 2], scale: [SCALE, SCALE, SCALE] } },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "cpu",
  });
}

// The fixture's sampling grid, by hand (pad on, step 4 nm): raw covers z [-2, 78], y and x
// [-2, 142]; the crop z [14, 62], y and x [22, 118]. The box is their intersection, 48 x 96 x 96,
// so 13 x 25 x 25 centers 4 nm apart starting at (14, 22, 22). Index 3 * 625 + 5 * 25 + 7 = 2007
// is grid point (3, 5, 7): world (26, 42, 50), i.e. x 50 / 4, y 42 / 4, z 26 / 4 in 4 nm voxels.
const INDEX = 2007;
const CENTER = [26, 42, 50];

// A hand-made batch: 2 samples, raw [2, 1, 3, 4, 6], gt and pred [2, 2, 3, 2, 3] (2 classes).
function handBatch(): { raw: { data: Float32Array; shape: number[] }; gt: { data: Float32Array; shape: number[] }; pred: { data: Float32Array; shape: number[] } } {
  const raw = new Float32Array(2 * 3 * 4 * 6);
  for (let b = 0, i = 0; b < 2; b++) for (let z = 0; z < 3; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) raw[i++] = 100 * b + 24 * z + 6 * y + x;
  raw[(0 * 3 + 1) * 24 + 0] = NaN; // b 0, z 1, y 0, x 0
  const gtAt = (b: number, c: number, z: number, y: number, x: number) => (((b * 2 + c) * 3 + z) * 2 + y) * 3 + x;
  const gt = new Float32Array(2 * 2 * 3 * 2 * 3);
  gt[gtAt(0, 1, 1, 1, 2)] = 1;
  gt[gtAt(1, 0, 1, 0, 0)] = 0.5;
  gt[gtAt(1, 1, 1, 1, 1)] = NaN;
  const pred = new Float32Array(gt.length).fill(0.25);
  pred[gtAt(0, 1, 1, 1, 2)] = 1;
  return {
    raw: { data: raw, shape: [2, 1, 3, 4, 6] },
    gt: { data: gt, shape: [2, 2, 3, 2, 3] },
    pred: { data: pred, shape: [2, 2, 3, 2, 3] },
  };
}

const COLORS: [number, number, number][] = [[200, 0, 0], [0, 200, 100]];
const MAGENTA = [255, 0, 255];
const WHITE = [255, 255, 255];

/** The dataset link: raw + annotated classes, zarr scheme by version, position by hand. */
async function datasetLink(zarrFormat: 2 | 3): Promise<void> {
  const ds = await openFixture(zarrFormat);
  try {
    same(ds.center(INDEX), CENTER, "center of sample 2007");
    const { base, state } = decode(datasetNeuroglancerUrl(ds, { index: INDEX }));
    same(base, "https://neuroglancer-demo.appspot.com/", "base");
    const scheme = zarrFormat === 3 ? "zarr3" : "zarr";
    same(state["layers"], [
      { type: "image", name: "raw", source: `${scheme}://${ROOT}/em/fibsem-uint8` },
      { type: "segmentation", name: "mito", source: `${scheme}://${ROOT}/labels/groundtruth/crop1/mito`, segments: ["1"], segmentColors: { "1": "#ff4040" } },
      { type: "segmentation", name: "er", source: `${scheme}://${ROOT}/labels/groundtruth/crop1/er`, segments: ["1"], segmentColors: { "1": "#40ff78" } },
    ], "layers (nucleus is not annotated: no layer)");
    same(state["dimensions"], { x: [4e-9, "m"], y: [4e-9, "m"], z: [4e-9, "m"] }, "dimensions");
    same(state["position"], [12.5, 10.5, 6.5], "position (x, y, z voxels)");
    same(state["layout"], "4panel", "layout");
    // Another viewer, another voxel size: the position follows the dimensions.
    const other = decode(datasetNeuroglancerUrl(ds, { index: INDEX, base: "http://localhost:8080/", voxelSize: [2, 1, 8], crossSectionScale: 2 }));
    same(other.base, "http://localhost:8080/", "configured base");
    same(other.state["dimensions"], { x: [8e-9, "m"], y: [1e-9, "m"], z: [2e-9, "m"] }, "dimensions of voxelSize [2, 1, 8]");
    same(other.state["position"], [50 / 8, 42, 13], "position in voxels of [2, 1, 8]");
    same(other.state["crossSectionScale"], 2, "crossSectionScale");
  } finally {
    ds.destroy();
  }
}

/** Our PNG decoded by the runtime's decoder gives back every pixel. */
export async function pngRoundTrip(decodePng: (png: Uint8Array) => Promise<RgbaImage>): Promise<string> {
  const w = 37;
  const h = 23;
  const data = new Uint8ClampedArray(w * h * 4);
  let s = 12345;
  for (let i = 0; i < w * h; i++) {
    const y = Math.floor(i / w);
    const x = i % w;
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // Noise (None rows), gradients (Sub, Up, Paeth rows) and anti-diagonal ramps, where Paeth's
    // left and up predictions tie and only its tie rule picks the right one.
    const px = y % 5 === 0 ? [s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255]
      : y % 5 === 2 || y % 5 === 3 ? [(128 + 3 * (x - y)) & 255, (64 + 5 * (x - y)) & 255, (200 - 2 * (x - y)) & 255]
      : [(x * 7) & 255, (y * 11) & 255, (x * y) & 255];
    data.set([...px, 255], i * 4);
  }
  const { raw, gt, pred } = handBatch();
  const images: RgbaImage[] = [{ data, width: w, height: h }, imageGrid({ raw, gt }, { targets: ["gt"], predictions: { gt: pred } }), { data: new Uint8ClampedArray([9, 8, 7, 255]), width: 1, height: 1 }];
  for (const img of images) {
    const png = await encodePng(img);
    same([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
    same([...png.subarray(12, 16)].map((c) => String.fromCharCode(c)).join(""), "IHDR", "first chunk");
    const v = new DataView(png.buffer, png.byteOffset);
    same([v.getUint32(16), v.getUint32(20), png[24], png[25]], [img.width, img.height, 8, 6], "IHDR: size, 8-bit RGBA");
    const back = await decodePng(png);
    same([back.width, back.height], [img.width, img.height], "decoded size");
    check(back.data.length === img.data.length, `decoded ${back.data.length} bytes, expected ${img.data.length}`);
    for (let i = 0; i < img.data.length; i++) {
      if (back.data[i] !== img.data[i]) throw new Error(`${img.width}x${img.height}: byte ${i} (pixel ${Math.floor(i / 4)}, channel ${i % 4}) decodes to ${back.data[i]}, expected ${img.data[i]}`);
    }
  }
  let bad: unknown;
  try {
    await encodePng({ data: new Uint8ClampedArray(8), width: 3, height: 1 });
  } catch (e) {
    bad = e;
  }
  check(isCellMapError(bad, "argument") && (bad as unknown as { field: string }).field === "data", `a short buffer should be an ArgumentError on "data", got ${String(bad)}`);
  return `${images.length} images decoded pixel for pixel`;
}

export const vizCases = {
  "a dataset's link decodes to raw and label layers at the sample center (v2)": () => datasetLink(2),
  "a dataset's link decodes to raw and label layers at the sample center (v3)": () => datasetLink(3),

  /** One array's link, s3 locations, and the errors. */
  async "an array's link, s3 and mapped sources, units; bad layers raise ArgumentError naming the field"(): Promise<void> {
    const ds = await openFixture(2);
    try {
      const mito = ds.classArray("mito")!;
      const { state } = decode(arrayNeuroglancerUrl(mito, { kind: "segmentation", center: [40, 70, 66] }));
      same(state["layers"], [{ type: "segmentation", name: "mito", source: `zarr://${ROOT}/labels/groundtruth/crop1/mito` }], "array layer");
      same(state["position"], [16.5, 17.5, 10], "position of world (40, 70, 66) in 4 nm voxels");
    } finally {
      ds.destroy();
    }
    same(
      neuroglancerSource("s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.zarr/recon-1/em/fibsem-uint8/", 3),
      "zarr3://https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.zarr/recon-1/em/fibsem-uint8",
      "an s3 source",
    );
    const state = neuroglancerState({
      layers: [
        { name: "raw", url: "/data/jrc.zarr/recon-1/em/fibsem-uint8", kind: "image", shader: "void main() { emitGrayscale(toNormalized(getDataValue())); }", opacity: 0.8 },
        { name: "pred", url: "gs://bucket/pred.zarr/mito", kind: "image", zarrFormat: 2, visible: false },
      ],
      voxelSize: [0.008, 0.004, 0.004],
      unit: "micrometer",
      position: [0.8, 0.4, 0.2],
      mapUrl: (u) => u.replace(/^\/data\//, "http://127.0.0.1:8000/"),
      selectedLayer: "pred",
    });
    same(state.layers, [
      { type: "image", name: "raw", source: "zarr://http://127.0.0.1:8000/jrc.zarr/recon-1/em/fibsem-uint8", opacity: 0.8, shader: "void main() { emitGrayscale(toNormalized(getDataValue())); }" },
      { type: "image", name: "pred", source: "zarr://gs://bucket/pred.zarr/mito", visible: false },
    ], "mapped and gs layers");
    same(state.dimensions, { x: [4e-9, "m"], y: [4e-9, "m"], z: [8e-9, "m"] }, "micrometer dimensions");
    check(Math.abs(state.position![0] - 50) < 1e-9 && Math.abs(state.position![1] - 100) < 1e-9 && Math.abs(state.position![2] - 100) < 1e-9, `micrometer position ${state.position}`);
    same(state.selectedLayer, { layer: "pred", visible: true }, "selectedLayer");
    const layer = { name: "raw", url: "https://host/a.zarr/raw", kind: "image" as const };
    expectArgumentError(() => neuroglancerState({ layers: [{ ...layer, url: "/local/raw.zarr" }], voxelSize: [8, 8, 8] }), "layers[0].url");
    expectArgumentError(() => neuroglancerState({ layers: [layer, { ...layer, kind: "annotation" as "image" }], voxelSize: [8, 8, 8] }), "layers[1].name");
    expectArgumentError(() => neuroglancerState({ layers: [{ ...layer, kind: "annotation" as "image" }], voxelSize: [8, 8, 8] }), "layers[0].kind");
    expectArgumentError(() => neuroglancerState({ layers: [layer], voxelSize: [8, 0, 8] }), "voxelSize");
    expectArgumentError(() => neuroglancerState({ layers: [layer], voxelSize: [8, 8, 8], unit: "furlong" }), "unit");
    expectArgumentError(() => neuroglancerState({ layers: [layer], voxelSize: [8, 8, 8], position: [1, 2] as unknown as [number, number, number] }), "position");
    expectArgumentError(() => neuroglancerUrl(neuroglancerState({ layers: [layer], voxelSize: [8, 8, 8] }), "neuroglancer.local"), "base");
  },

  /** Gray inputs, class colours, predictions, NaN, gaps: each at the pixel worked out by hand. */
  "the grid puts known voxels at the expected pixels in gray and class colour; NaN is marked"(): void {
    const { raw, gt, pred } = handBatch();
    const batch = { idx: [0, 1], center: [[0, 0, 0], [0, 0, 0]], raw, gt };
    const opts: ImageGridOptions = { targets: ["gt"], predictions: { gt: pred }, classColors: COLORS, range: { raw: [0, 200] } };
    const img = imageGrid(batch, opts);
    // Columns raw | gt 0 | pred 0 | gt 1 | pred 1, each 6 x 4 pixels (the 2 x 3 label slices scaled
    // 2x to the raw slice's longest side, 6), 2-pixel gaps: column i starts at x = 2 + 8 i, sample b
    // at y = 2 + 6 b. The middle z slice is z = 1.
    same([img.width, img.height], [42, 14], "grid size");
    same(img.columns.map((c) => c.title), ["raw", "gt 0", "pred 0", "gt 1", "pred 1"], "column titles");
    // raw b 1 (z 1, y 2, x 3) = 100 + 24 + 12 + 3 = 139 -> 139 / 200 * 255 = 177.2 -> 177.
    pixels(img, [10], [5], [177, 177, 177], "raw voxel of sample 1");
    pixels(img, [2], [2], MAGENTA, "raw NaN of sample 0");
    pixels(img, [4, 5], [30, 31], COLORS[1]!, "gt class 1 = 1 of sample 0 (2x2 pixels)");
    pixels(img, [8, 9], [10, 11], [100, 0, 0], "gt class 0 = 0.5 of sample 1");
    pixels(img, [10, 11], [28, 29], MAGENTA, "gt NaN of sample 1");
    pixels(img, [4, 5], [38, 39], COLORS[1]!, "pred class 1 = 1 of sample 0");
    pixels(img, [2, 3], [18, 19], [50, 0, 0], "pred class 0 = 0.25 of sample 0");
    pixels(img, [0, 7, 13], [0, 8, 9, 41], WHITE, "gap rows");
    pixels(img, [2, 5, 8, 11], [0, 1, 8, 9, 16, 17, 40, 41], WHITE, "gap columns");
    pixels(img, [2], [10], [0, 0, 0], "gt 0 of sample 0");
    // Auto range (no range given): sample 0's raw slice has finite values 25..47, so 39 -> 162.
    const auto = imageGrid(batch, { targets: ["gt"] });
    pixels(auto, [4], [5], [162, 162, 162], "auto-ranged raw voxel (y 2, x 3) of sample 0");
    // One image per array.
    const dict = imageDict(batch, opts);
    same(Object.keys(dict), ["raw", "gt"], "imageDict keys");
    // Its tiles are the label slices' own 3 x 2 pixels: column i at x = 2 + 5 i, sample b at y = 2 + 4 b.
    same([dict["gt"]!.width, dict["gt"]!.height], [22, 10], "gt image size (4 columns of 3 x 2)");
    pixels(dict["gt"]!, [3], [14], COLORS[1]!, "gt class 1 in the gt image");
    const big = imageDict(batch, { ...opts, tileSize: 6 })["gt"]!;
    same([big.width, big.height], [34, 14], "gt image with tileSize 6");
    pixels(big, [4, 5], [22, 23], COLORS[1]!, "gt class 1 in the gt image, tileSize 6");
    pixels(dict["raw"]!, [10], [5], [177, 177, 177], "raw voxel in the raw image");
    // samples: only the first row.
    same(imageGrid(batch, { ...opts, samples: 1 }).height, 8, "one sample row");
  },

  /** Slicing across x, and the coloured overlay on the input at a coarser label voxel size. */
  "slicing across x and y, and the coloured overlay on a coarser label grid"(): void {
    const { raw, gt } = handBatch();
    // Across x at x = 4: rows are z, columns y. raw b 0 (z 2, y 3, x 4) = 48 + 18 + 4 = 70 -> 89.
    const across = imageGrid({ raw }, { axis: "x", index: 4, range: [0, 200] });
    same([across.width, across.height], [8, 12], "raw-only grid across x");
    pixels(across, [4], [5], [89, 89, 89], "raw (z 2, y 3, x 4) across x");
    // The default index across y is the middle, y = 2: raw b 1 (z 0, y 2, x 5) = 100 + 12 + 5 = 117 -> 149.
    pixels(imageGrid({ raw }, { axis: "y", range: [0, 200] }), [2 + 5 + 0], [2 + 5], [149, 149, 149], "raw (z 0, y 2, x 5) of sample 1 across y");
    // Overlay: raw voxels 2 nm, labels [2, 4, 4] nm, both centered on the sample center. Label
    // voxel (z 1, y 1, x 2) lies over raw (1, 3, 5); label (1, 0, 0) over raw (1, 1, 1).
    const dataset = {
      inputArrays: { raw: { shape: [3, 4, 6] as [number, number, number], scale: [2, 2, 2] as [number, number, number] } },
      targetArrays: { gt: { shape: [3, 2, 3] as [number, number, number], scale: [2, 4, 4] as [number, number, number] } },
      classes: ["a", "b"],
    };
    const img = imageGrid({ raw, gt }, { dataset, targetStyle: "overlay", overlayAlpha: 1, classColors: COLORS, range: [0, 200] });
    same(img.columns.map((c) => c.title), ["raw", "gt overlay"], "overlay columns");
    pixels(img, [4, 5], [14, 15], COLORS[1]!, "class 1 = 1 covers the input");
    // Nothing there: raw b 0 (1, 1, 1) = 24 + 6 + 1 = 31 -> 39.5 -> 40.
    pixels(img, [2, 3], [10, 11], [40, 40, 40], "no class: the input's gray");
    // Class 0 = 0.5 over raw b 1 (1, 1, 1) = 131 -> 167: 0.5 * 167 + 0.5 * [200, 0, 0].
    pixels(img, [8, 9], [10, 11], [184, 84, 84], "class 0 = 0.5 blended over the input");
    // The same label voxel drawn with a gray class colormap: value 1 -> white.
    pixels(imageGrid({ raw, gt }, { targets: ["gt"], colormap: "gray" }), [4, 5], [22, 23], WHITE, "gray colormap (columns raw | gt 0 | gt 1)");
  },

  /** A dataset item ([C, z, y, x]) renders its raw voxels at their pixels. */
  async "a dataset item renders its raw voxels and labels at their pixels"(): Promise<void> {
    const ds = await openFixture(2);
    try {
      const item = await ds.get(INDEX);
      const img = imageGrid(item, { dataset: ds, range: [0, 255] });
      same(img.columns.map((c) => c.title), ["raw", "gt mito", "gt er", "gt nucleus"], "columns");
      same([img.width, img.height], [2 + 4 * 6, 8], "one row of 4 x 4 tiles");
      // Center (26, 42, 50): the raw output's middle z slice (j = 1 of 2) is world z 28 = voxel 7;
      // row r is world y 36 + 4 r = voxel 9 + r, column c world x 44 + 4 c = voxel 11 + c.
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
        const v = rawAt(7, 9 + r, 11 + c);
        pixels(img, [2 + r], [2 + c], [v, v, v], `raw voxel (7, ${9 + r}, ${11 + c})`);
      }
      // Labels (2 x 2, scaled 2x): voxel (r, c) at world (28, 40 + 4 r, 48 + 4 c).
      for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) {
        const v = inBall(MITO, [28, 40 + 4 * r, 48 + 4 * c]) ? 255 : 0;
        pixels(img, [2 + 2 * r], [8 + 2 * c], [v, Math.round(v / 4), Math.round(v / 4)], `mito label (${r}, ${c})`);
      }
      pixels(img, [2, 5], [20, 23], MAGENTA, "nucleus is not annotated: NaN everywhere");
    } finally {
      ds.destroy();
    }
  },

  /**
   * Batches and items of a 2D slice dataset (`[B, C, h, w]`, `[C, h, w]`) are drawn as planes:
   * with the dataset given, or with `spatialDims: 2`, every raw pixel is the sample's value at
   * that row and column.
   */
  async "2D slices: batches [B, C, h, w] and items [C, h, w] are drawn as planes"(): Promise<void> {
    const fx = await buildFixture(3);
    const ds = await CellMapDataset.open<"raw", "gt">({
      inputPath: fx.rawUrl,
      targetPath: `${fx.cropUrl}/[mito,er]`,
      classes: ["mito", "er"],
      inputArrays: { raw: { shape: [6, 6], scale: [SCALE, SCALE, SCALE] } },
      targetArrays: { gt: { shape: [6, 6], scale: [SCALE, SCALE, SCALE] } },
      slicingAxis: "y",
      workers: 0,
      storeOptions: { fetch: fx.fetch },
      device: "cpu",
    });
    try {
      const batches: Array<{ raw: { data: Float32Array; shape: number[] }; gt: { data: Float32Array; shape: number[] } }> = [];
      for await (const b of new CellMapDataLoader(ds, { batchSize: 2, iterationsPerEpoch: 1, seed: 3 })) batches.push(b);
      const batch = batches[0]!;
      same(batch.raw.shape, [2, 1, 6, 6], "batch raw shape");
      for (const img of [imageGrid(batch, { dataset: ds, range: [0, 255] }), imageGrid(batch, { targets: ["gt"], range: [0, 255], spatialDims: 2 })]) {
        same([img.width, img.height], [2 + 3 * 8, 2 + 2 * 8], "two rows of raw, mito and er tiles of 6 x 6");
        for (let b = 0; b < 2; b++) for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) {
          const v = batch.raw.data[b * 36 + r * 6 + c]!;
          pixels(img, [2 + b * 8 + r], [2 + c], [v, v, v], `raw of sample ${b} at (${r}, ${c})`);
        }
      }
      const item = await ds.get((batch as unknown as { idx: number[] }).idx[1]!);
      same(item.raw.shape, [1, 6, 6], "item raw shape");
      const one = imageGrid(item, { dataset: ds, range: [0, 255] });
      same([one.width, one.height], [2 + 3 * 8, 2 + 8], "one row");
      for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) {
        const v = batch.raw.data[36 + r * 6 + c]!;
        pixels(one, [2 + r], [2 + c], [v, v, v], `item raw at (${r}, ${c})`);
      }
      // Read as a volume, the same 4D batch is one item [C, z, y, x]: one row, not two.
      same(imageGrid(batch, { targets: ["gt"], spatialDims: 3 }).height, 2 + 8, "a volume item");
      expectArgumentError(() => imageGrid(batch, { spatialDims: 4 as 2 }), "spatialDims");
    } finally {
      ds.destroy();
    }
  },

  /**
   * The overlay of a y slice lines labels up with the raw by the slice's own axes: rows are world
   * z, columns world x. Labels at [8, 4, 8] nm (z, y, x) over raw at 4 nm: label row r sits on raw
   * row 2r - 1 (+ 2.5, rounded: 1, 3, 5), and so do the columns. With alpha 0 the overlay tile is
   * the raw voxel under each label voxel.
   */
  async "the overlay of a y slice lines labels up by world z and x"(): Promise<void> {
    const fx = await buildFixture(3);
    const ds = await CellMapDataset.open<"raw", "gt">({
      inputPath: fx.rawUrl,
      targetPath: `${fx.cropUrl}/[mito,er]`,
      classes: ["mito", "er"],
      inputArrays: { raw: { shape: [6, 6], scale: [SCALE, SCALE, SCALE] } },
      targetArrays: { gt: { shape: [3, 3], scale: [2 * SCALE, SCALE, 2 * SCALE] } },
      slicingAxis: "y",
      workers: 0,
      storeOptions: { fetch: fx.fetch },
      device: "cpu",
    });
    try {
      const item = await ds.get(Math.floor(ds.length / 2));
      const img = imageGrid(item, { dataset: ds, range: [0, 255], targetStyle: "overlay", overlayAlpha: 0 });
      same(img.columns.map((c) => c.title), ["raw", "gt overlay"], "columns");
      const under = [1, 3, 5];
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
        const v = item.raw.data[under[r]! * 6 + under[c]!]!;
        pixels(img, [2 + 2 * r, 3 + 2 * r], [10 + 2 * c, 11 + 2 * c], [v, v, v], `raw under label (${r}, ${c})`);
      }
    } finally {
      ds.destroy();
    }
  },

  /**
   * Flow arrays in direction colours, by the documented rule worked out here on its own: the
   * slice's in-plane part (across, down) -> hue atan2(down, across), full saturation, value
   * min(1, length), from the HSV formula f(n) = v - v * max(0, min(k, 4 - k, 1)) with
   * k = (n + hue / 60) mod 6 (R = f(5), G = f(3), B = f(1)). Zero vectors black, NaN marked.
   */
  "flow arrays are drawn in direction colours: hue the in-plane direction, brightness its length, zero black, NaN marked"(): void {
    // raw [2, 1, 1, 2, 3] and flows [2, 3, 1, 2, 3]: tiles 2 x 3 pixels, columns raw (x 2) |
    // flows (x 7), sample b at y = 2 + 4 b.
    const raw = { data: new Float32Array(12).map((_, i) => i), shape: [2, 1, 1, 2, 3] };
    const flows = new Float32Array(2 * 3 * 6);
    const set = (b: number, y: number, x: number, v: [number, number, number]) => v.forEach((c, ch) => (flows[(b * 3 + ch) * 6 + y * 3 + x] = c));
    set(0, 0, 0, [0, 0, 1]); // right
    set(0, 0, 1, [0, 1, 0]); // down
    set(0, 0, 2, [0, -0.6, 0.8]);
    set(0, 1, 1, [NaN, NaN, NaN]);
    set(0, 1, 2, [0.8, 0.36, -0.48]); // in-plane length 0.6
    set(1, 0, 0, [0, -1, 0]); // up
    set(1, 1, 2, [0.6, 0.28, 0.75]);
    const batch = { raw, flows: { data: flows, shape: [2, 3, 1, 2, 3] } };
    const img = imageGrid(batch, { flows: ["flows"], nanColor: [1, 2, 3] });
    same(img.columns.map((c) => [c.title, c.kind, c.x, c.width]), [["raw", "input", 2, 3], ["flows", "flow", 7, 3]], "columns");
    same([img.width, img.height], [12, 10], "grid size");
    for (let b = 0; b < 2; b++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) {
      const at = (ch: number) => flows[(b * 3 + ch) * 6 + y * 3 + x]!;
      const want = Number.isNaN(at(0)) ? [1, 2, 3] : flowOracle(at(2), at(1));
      near(pixel(img, 2 + 4 * b + y, 7 + x).slice(0, 3), want, 1, `flow of sample ${b} at (y ${y}, x ${x})`);
    }
    pixels(img, [2], [7], [255, 0, 0], "pointing right (+x): red");
    pixels(img, [6], [7], [128, 0, 255], "pointing up (-y): violet");
    pixels(img, [3], [7], [0, 0, 0], "a zero vector: black");
    pixels(img, [3], [8], [1, 2, 3], "NaN in nanColor");
    pixels(imageGrid(batch, { flows: ["flows"] }), [3], [8], MAGENTA, "NaN in the default nanColor");
    // Predicted flows follow their array; one image per array.
    const pred = { data: flows.map((v) => -v), shape: [2, 3, 1, 2, 3] };
    const withPred = imageGrid(batch, { flows: ["flows"], predictions: { flows: pred } });
    same(withPred.columns.map((c) => [c.title, c.kind]), [["raw", "input"], ["flows", "flow"], ["pred flows", "flow"]], "prediction column");
    pixels(withPred, [2], [12], [0, 255, 255], "the prediction points left (-x): cyan");
    const dict = imageDict(batch, { flows: ["flows"] });
    same(Object.keys(dict), ["raw", "flows"], "imageDict keys");
    pixels(dict["flows"]!, [2], [2], [255, 0, 0], "the flows image");

    // Across x, rows are z and columns y; across y, rows z and columns x (flows [1, 3, 3, 3, 3]).
    const vol = new Float32Array(3 * 27);
    const put = (z: number, y: number, x: number, v: [number, number, number]) => v.forEach((c, ch) => (vol[ch * 27 + z * 9 + y * 3 + x] = c));
    put(0, 2, 1, [1, 0, 0]); // +z: down across x
    put(2, 0, 1, [0, -0.6, 0.8]); // across x: -y is left at length 0.6
    put(2, 1, 0, [0, 0, -1]); // across y: -x is left
    put(0, 1, 2, [0.6, 0.8, 0]); // across y: +z down at length 0.6
    const one = { flows: { data: vol, shape: [1, 3, 3, 3, 3] } };
    const acrossX = imageGrid(one, { flows: ["flows"], axis: "x", index: 1 });
    near(pixel(acrossX, 2 + 0, 2 + 2).slice(0, 3), [128, 255, 0], 0, "across x: +z points down (chartreuse)");
    near(pixel(acrossX, 2 + 2, 2 + 0).slice(0, 3), [0, 153, 153], 0, "across x: -y points left at length 0.6");
    const acrossY = imageGrid(one, { flows: ["flows"], axis: "y" });
    near(pixel(acrossY, 2 + 2, 2 + 0).slice(0, 3), [0, 255, 255], 0, "across y: -x points left (cyan)");
    near(pixel(acrossY, 2 + 0, 2 + 2).slice(0, 3), flowOracle(0, 0.6), 1, "across y: +z points down at length 0.6");
    pixels(acrossY, [2], [2], [0, 0, 0], "across y: nothing there");

    expectArgumentError(() => imageGrid(batch, { flows: ["nope"] }), "flows");
    expectArgumentError(() => imageGrid(batch, { flows: ["raw"] }), "batch.raw.shape");
    expectArgumentError(() => imageGrid(batch, { flows: ["flows"], targets: ["flows"] }), "flows");
    expectArgumentError(() => imageGrid({ flows: { data: new Float32Array(36), shape: [2, 3, 2, 3] } }, { flows: ["flows"], spatialDims: 2 }), "batch.flows.shape");

    // 2D slices: flows [B, 2, h, w] hold the (rows, columns) components, drawn by the same rule.
    const flat = new Float32Array(2 * 9);
    const set2 = (r: number, c: number, down: number, across: number) => {
      flat[r * 3 + c] = down;
      flat[9 + r * 3 + c] = across;
    };
    set2(0, 0, 0, 1); // right: red
    set2(2, 1, 0.6, 0); // down at length 0.6
    set2(1, 2, Number.NaN, 0); // unknown
    const planar = imageGrid({ flows: { data: flat, shape: [1, 2, 3, 3] } }, { flows: ["flows"], spatialDims: 2 });
    same(planar.columns.map((c) => [c.title, c.kind]), [["flows", "flow"]], "2D flow column");
    near(pixel(planar, 2 + 0, 2 + 0).slice(0, 3), [255, 0, 0], 0, "2D: right is red");
    near(pixel(planar, 2 + 2, 2 + 1).slice(0, 3), flowOracle(0, 0.6), 1, "2D: down at length 0.6");
    pixels(planar, [2 + 1], [2 + 2], MAGENTA, "2D: NaN marked");
    pixels(planar, [2 + 1], [2 + 1], [0, 0, 0], "2D: zero is black");
  },

  /**
   * A dataset with a cellpose target gets a flow column without being told: each pixel of it is
   * the rule applied to the item's own flows, and on the mito ball's middle slice the flows point
   * at its center (left edge red: to the right; right edge cyan: to the left).
   */
  async "a dataset with a cellpose target gets a flow column whose pixels follow its flows"(): Promise<void> {
    const fx = await buildFixture(2);
    const ds = await CellMapDataset.open<"raw", "gt" | "flows">({
      inputPath: fx.rawUrl,
      targetPath: `${fx.cropUrl}/[mito,er]`,
      classes: ["mito", "er", "nucleus"],
      inputArrays: { raw: { shape: [2, 8, 8], scale: [SCALE, SCALE, SCALE] } },
      targetArrays: { gt: { shape: [2, 8, 8], scale: [SCALE, SCALE, SCALE] }, flows: { shape: [4, 8, 8], scale: [SCALE, SCALE, SCALE], cellpose: { class: "mito" } } },
      workers: 0,
      storeOptions: { fetch: fx.fetch },
      device: "cpu",
    });
    try {
      const g = ds.grid;
      const index = g.ravel([0, 1, 2].map((k) => Math.min(g.dims[k]! - 1, Math.max(0, Math.round((MITO.center[k]! - g.origin[k]!) / g.step[k]!)))) as [number, number, number]);
      const item = await ds.get(index);
      same(item.flows.shape, [3, 4, 8, 8], "flow item shape");
      const img = imageGrid(item, { dataset: ds, range: [0, 255] });
      same(img.columns.map((c) => [c.title, c.kind, c.x]), [["raw", "input", 2], ["gt mito", "target", 12], ["gt er", "target", 22], ["gt nucleus", "target", 32], ["flows", "flow", 42]], "columns");
      // The middle z slice of the flows is z = 2 of 4.
      const at = (ch: number, y: number, x: number) => item.flows.data[((ch * 4 + 2) * 8 + y) * 8 + x]!;
      let coloured = 0;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
        const want = Number.isNaN(at(0, y, x)) ? MAGENTA : flowOracle(at(2, y, x), at(1, y, x));
        const got = pixel(img, 2 + y, 42 + x).slice(0, 3);
        near(got, want, 1, `flow pixel (y ${y}, x ${x})`);
        if (got.some((v) => v > 0) && !equal(got, MAGENTA)) coloured++;
      }
      check(coloured === 64, `every pixel of the slice lies in the mito ball and should be coloured, ${coloured} are`);
      const left = pixel(img, 2 + 3, 42);
      const right = pixel(img, 2 + 4, 42 + 7);
      check(left[0]! > left[1]! && left[0]! > left[2]!, `left edge points right (red), got ${left}`);
      check(right[1]! > right[0]! && right[2]! > right[0]!, `right edge points left (cyan), got ${right}`);
    } finally {
      ds.destroy();
    }
  },

  /** Bad batches and options. */
  "bad batches and options raise ArgumentError naming the field"(): void {
    const { raw, gt, pred } = handBatch();
    expectArgumentError(() => imageGrid({ raw, gt }, { targets: ["gt"], axis: "x", index: 4 }), "index");
    expectArgumentError(() => imageGrid({ raw, gt: { data: gt.data.subarray(0, 36), shape: [1, 2, 3, 2, 3] } }, { targets: ["gt"] }), "batch.gt.shape");
    expectArgumentError(() => imageGrid({ raw: { data: raw.data, shape: [2, 1, 3, 4, 5] } }), "batch.raw.data");
    expectArgumentError(() => imageGrid({ raw, gt }, { targets: ["labels"] }), "targets");
    expectArgumentError(() => imageGrid({ raw, gt }, { targets: ["gt"], predictions: { gt: { data: pred.data, shape: [2, 2, 3, 3, 2] } } }), "predictions.gt.shape");
    expectArgumentError(() => imageGrid({ raw, gt }, { predictions: { gt: pred } }), "predictions");
    expectArgumentError(() => imageGrid({ raw, gt }, { range: { raw: [5, 5] } }), "range.raw");
    expectArgumentError(() => imageGrid({ raw: { buffer: {}, shape: [2, 1, 3, 4, 6], byteLength: 576 } }), "batch.raw");
    expectArgumentError(() => imageGrid({ raw }, { nanColor: [0, 0, 300] as unknown as [number, number, number] }), "nanColor");
  },

} satisfies Cases;
