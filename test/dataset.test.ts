// CellMapDataset against independent oracles: fixtures written by zarr-python, expected samples
// computed by scipy.ndimage.map_coordinates under the same composed augmentation matrix
// (DESIGN section 2). Node only (it runs Python).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rngFor } from "../src/augment/rng.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { decodeNpy } from "../src/io/npy.ts";
import { isCellMapError } from "../src/errors.ts";
import { runPython } from "./helpers/python.ts";
import { SAMPLE_ORACLE_PY } from "./helpers/sample-oracle.ts";

let dir: string;

const FIXTURE = `
import sys, json, numpy as np, zarr, numcodecs
from scipy import ndimage
root = sys.argv[1]
rng = np.random.default_rng(12)
axes = [{"name": n, "type": "space", "unit": "nanometer"} for n in "zyx"]
def ms(path, levels, attrs=None):
    g = zarr.open_group(root + "/" + path, mode="w")
    datasets = []
    for name, data, scale, trans, chunks in levels:
        g.create_dataset(name, data=data, chunks=chunks, compressor=numcodecs.Blosc("zstd"), dimension_separator="/")
        datasets.append({"path": name, "coordinateTransformations": [{"type": "scale", "scale": scale}, {"type": "translation", "translation": trans}]})
    g.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": datasets}]
    if attrs: g.attrs.update(attrs)
raw = ndimage.gaussian_filter(rng.random((20, 40, 44)) * 255, 1.0)
raw = ((raw - raw.min()) / (raw.max() - raw.min()) * 255).astype("u1")
s1 = raw[::2, ::2, ::2]
ms("data.zarr/recon-1/em/fibsem-uint8", [("s0", raw, [8, 4, 4], [4, 2, 2], (8, 16, 16)), ("s1", s1, [16, 8, 8], [8, 4, 4], (8, 16, 16))])
np.save(root + "/raw.npy", raw)
blobs = ndimage.gaussian_filter(rng.random((10, 20, 20)), 1.5)
mito = (blobs > np.quantile(blobs, 0.6)).astype("u1")
ms("data.zarr/recon-1/labels/groundtruth/crop1/mito", [("s0", mito, [8, 4, 4], [44, 42, 46], (5, 10, 10))],
   {"cellmap": {"annotation": {"class_name": "mito", "annotation_type": {"type": "semantic_segmentation", "encoding": {"absent": 0, "present": 1}}, "complement_counts": {"absent": int((mito == 0).sum())}}}})
np.save(root + "/mito.npy", mito)
`;

const ORACLE = `${SAMPLE_ORACLE_PY}
import sys, json
root, cases_path = sys.argv[1], sys.argv[2]
cases = json.load(open(cases_path))
vol = {"raw": np.load(root + "/raw.npy").astype(np.float64), "mito": np.load(root + "/mito.npy").astype(np.float64)}
out = []
for c in cases:
    e, mask, _ = expected_sample(vol, c)
    np.save(root + "/exp_%d.npy" % len(out), e.astype(np.float32))
    np.save(root + "/mask_%d.npy" % len(out), mask.astype(np.uint8))
    out.append(len(out))
print(json.dumps(out))
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-dataset-"));
  runPython(FIXTURE, [dir]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const npy = (name: string) => decodeNpy(new Uint8Array(readFileSync(join(dir, name)))).data;

async function openData(extra: Partial<Parameters<typeof CellMapDataset.open<"raw", "gt">>[0]> = {}) {
  return CellMapDataset.open<"raw", "gt">({
    inputPath: join(dir, "data.zarr/recon-1/em/fibsem-uint8"),
    targetPath: join(dir, "data.zarr/recon-1/labels/groundtruth/crop1/[mito]"),
    classes: ["mito", "er"],
    inputArrays: { raw: { shape: [5, 9, 11], scale: [8, 4, 4] } },
    targetArrays: { gt: { shape: [4, 8, 8], scale: [8, 4, 4] } },
    workers: 0,
    device: "cpu",
    ...extra,
  });
}

describe("CellMapDataset against scipy", () => {
  test("augmented samples equal scipy's resampling under the same composed matrix", async () => {
    const ds = await openData({
      isTrain: true,
      seed: 21,
      spatialTransforms: {
        mirror: { axes: { x: 0.5, y: 0.5, z: 0.5 } },
        transpose: { axes: ["x", "y"] },
        rotate: { axes: { z: [-180, 180], y: [-20, 20], x: [-20, 20] } },
      },
    });
    try {
      const indices = [0, Math.floor(ds.length / 3), Math.floor(ds.length / 2), ds.length - 1, 17];
      const cases: unknown[] = [];
      const items = [];
      for (const i of indices) {
        const plan = ds.plan(i, rngFor(ds.seed, 0, i));
        expect(plan.augment).toBeDefined();
        const item = await ds.get(i);
        items.push(item);
        cases.push({ array: "raw", center: plan.center, A: Array.from(plan.augment!), shape: [5, 9, 11], scale: [8, 4, 4] });
        cases.push({ array: "mito", center: plan.center, A: Array.from(plan.augment!), shape: [4, 8, 8], scale: [8, 4, 4] });
      }
      writeFileSync(join(dir, "cases.json"), JSON.stringify(cases));
      runPython(ORACLE, [dir, join(dir, "cases.json")]);
      let comparedLabels = 0;
      items.forEach((item, k) => {
        const expRaw = npy(`exp_${2 * k}.npy`);
        let maxErr = 0;
        for (let v = 0; v < expRaw.length; v++) maxErr = Math.max(maxErr, Math.abs(item.raw.data[v]! - expRaw[v]!));
        expect(maxErr, `raw of sample ${indices[k]}`).toBeLessThan(2e-3);
        const expLab = npy(`exp_${2 * k + 1}.npy`);
        const mask = npy(`mask_${2 * k + 1}.npy`);
        const mito = item.gt.data.subarray(0, 256);
        for (let v = 0; v < 256; v++) {
          if (!mask[v]) continue;
          comparedLabels++;
          expect(Object.is(mito[v], expLab[v]) || mito[v] === expLab[v], `mito voxel ${v} of sample ${indices[k]}: ${mito[v]} vs ${expLab[v]}`).toBe(true);
        }
        // "er" is not annotated by this crop: all emptyValue.
        expect(item.gt.data.subarray(256).every((x) => Number.isNaN(x))).toBe(true);
      });
      expect(comparedLabels).toBeGreaterThan(500);
    } finally {
      ds.destroy();
    }
  });

  test("without pad every output lies inside the array it is read from; the geometry matches a hand computation", async () => {
    const ds = await openData({ pad: false });
    try {
      // raw world z: [4 - 4, 4 + 19.5 * 8] = [0, 160]; crop: [44 - 4, 44 + 9.5 * 8] = [40, 120].
      // y: raw [0, 160], crop [40, 120]; x: raw [0, 176], crop [44, 124].
      // Each array shrinks by half its own outputs: raw by 5*8/2 = 20 (z), 9*4/2 = 18 (y), 11*4/2 = 22 (x)
      // -> z [20, 140], y [18, 142], x [22, 154]; the crop by gt 32/2 = 16 -> z [56, 104], y [56, 104], x [60, 108].
      // Box (intersection): z [56, 104], y [56, 104], x [60, 108]; step [8, 4, 4].
      // n = floor(size / step) + 1: z 48/8+1 = 7, y 48/4+1 = 13, x 48/4+1 = 13.
      expect(ds.grid.dims).toEqual([7, 13, 13]);
      expect(ds.length).toBe(7 * 13 * 13);
      expect(ds.center(0)).toEqual([56, 56, 60]);
      expect(ds.center(1)).toEqual([56, 56, 64]);
      expect(ds.center(13)).toEqual([56, 60, 60]);
      expect(ds.center(7 * 13 * 13 - 1)).toEqual([104, 104, 108]);
      // No output voxel of the corner samples reads the pad value.
      for (const i of [0, 7 * 13 * 13 - 1]) {
        const item = await ds.get(i);
        expect(item.gt.data.subarray(0, 256).some((x) => Number.isNaN(x))).toBe(false);
      }
    } finally {
      ds.destroy();
    }
  });

  test("class counts from complement_counts metadata, scaled to world volume", async () => {
    const ds = await openData();
    try {
      const mito = npy("mito.npy");
      let fg = 0;
      for (let i = 0; i < mito.length; i++) fg += mito[i] === 1 ? 1 : 0;
      const counts = await ds.classCounts;
      expect(counts["mito"]).toEqual({ foreground: fg * 128, background: (mito.length - fg) * 128 });
      expect(counts["er"]).toEqual({ foreground: 0, background: 0 });
      expect(ds.annotatedClasses).toEqual(["mito"]);
    } finally {
      ds.destroy();
    }
  });

  test("bad options raise ArgumentError naming the field", async () => {
    const bad = async (extra: Record<string, unknown>, field: string) => {
      const e = await openData(extra as never).then((d) => (d.destroy(), undefined), (err: unknown) => err);
      expect(isCellMapError(e, "argument"), String(e)).toBe(true);
      expect((e as { field: string }).field).toBe(field);
    };
    await bad({ inputArrays: { raw: { shape: [0, 4, 4], scale: [8, 4, 4] } } }, "inputArrays.raw.shape");
    await bad({ targetArrays: { raw: { shape: [4, 4, 4], scale: [8, 4, 4] } } }, "targetArrays.raw");
    await bad({ spatialTransforms: { spin: { axes: {} } } }, "spatialTransforms.spin");
    await bad({ spatialTransforms: { rotate: { axes: { q: [0, 1] } } } }, "spatialTransforms.rotate.axes");
    await bad({ valueTransforms: { nope: [] } }, "valueTransforms.nope");
  });

  test("a missing label array is a typed metadata error", async () => {
    const e = await openData({ targetPath: join(dir, "data.zarr/recon-1/labels/groundtruth/crop1/[mito,er]") }).then(
      (d) => (d.destroy(), undefined),
      (err: unknown) => err,
    );
    expect(isCellMapError(e, "metadata")).toBe(true);
  });
});
