// Elastic deformation against scipy (Node only: it runs Python). Fixtures are written by
// zarr-python; the Python oracle takes each sample's plan (center, matrix A, the control grid and
// its values), interpolates the displacement itself with scipy's cubic B-spline
// (`map_coordinates(order=3, prefilter=False)`, which treats the grid as spline coefficients),
// composes `c + A·(o + d(o))` and resamples with `map_coordinates` (order 1 raw, 0 labels).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rngFor } from "../src/augment/rng.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { encodeDisplacements, encodeSampleStructs, SAMPLE_BYTES } from "../src/kernels/resample/gpu-encode.ts";
import { type ResampleSample } from "../src/kernels/resample/contract.ts";
import { decodeNpy } from "../src/io/npy.ts";
import { runPython } from "./helpers/python.ts";
import { SAMPLE_ORACLE_PY } from "./helpers/sample-oracle.ts";

let dir: string;

const FIXTURE = `
import sys, numpy as np, zarr, numcodecs
from scipy import ndimage
root = sys.argv[1]
rng = np.random.default_rng(12)
axes = [{"name": n, "type": "space", "unit": "nanometer"} for n in "zyx"]
def ms(path, name, data, scale, trans, chunks):
    g = zarr.open_group(root + "/" + path, mode="w")
    g.create_dataset(name, data=data, chunks=chunks, compressor=numcodecs.Blosc("zstd"), dimension_separator="/")
    g.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": name, "coordinateTransformations": [{"type": "scale", "scale": scale}, {"type": "translation", "translation": trans}]}]}]
raw = ndimage.gaussian_filter(rng.random((20, 40, 44)) * 255, 1.0)
raw = ((raw - raw.min()) / (raw.max() - raw.min()) * 255).astype("u1")
ms("data.zarr/recon-1/em/fibsem-uint8", "s0", raw, [8, 4, 4], [4, 2, 2], (4, 8, 8))
np.save(root + "/raw.npy", raw)
blobs = ndimage.gaussian_filter(rng.random((10, 20, 20)), 1.5)
mito = (blobs > np.quantile(blobs, 0.6)).astype("u1")
ms("data.zarr/recon-1/labels/groundtruth/crop1/mito", "s0", mito, [8, 4, 4], [44, 42, 46], (5, 10, 10))
np.save(root + "/mito.npy", mito)
`;

const ORACLE = `${SAMPLE_ORACLE_PY}
import sys, json
root, cases_path = sys.argv[1], sys.argv[2]
cases = json.load(open(cases_path))
vol = {"raw": np.load(root + "/raw.npy").astype(np.float64), "mito": np.load(root + "/mito.npy").astype(np.float64)}
for k, c in enumerate(cases):
    f = c["field"]
    dims = np.array(f["dims"]); spacing = np.array(f["spacing"], dtype=np.float64)
    values = np.array(f["values"], dtype=np.float64).reshape(*dims, 3)
    disp = []
    def displace(o):
        u = o / spacing[:, None] + ((dims - 1) / 2)[:, None]
        assert u.min() >= 1 and np.all(u.max(axis=1) <= dims - 2), "the grid must hold every 4x4x4 neighbourhood"
        d = np.stack([ndimage.map_coordinates(values[..., a], u, order=3, prefilter=False, mode="nearest") for a in range(3)])
        disp.append(d)
        return d
    e, mask, v = expected_sample(vol, c, displace, tie_tol=1e-3)
    np.save(root + "/exp_%d.npy" % k, e.astype(np.float32))
    np.save(root + "/mask_%d.npy" % k, mask.astype(np.uint8))
    np.save(root + "/v_%d.npy" % k, v.astype(np.float64))
    np.save(root + "/disp_%d.npy" % k, np.abs(disp[0]).max(axis=1))
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-deform-"));
  runPython(FIXTURE, [dir]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const npy = (name: string) => decodeNpy(new Uint8Array(readFileSync(join(dir, name)))).data;

type Options = Parameters<typeof CellMapDataset.open<"raw", "gt">>[0];
function openData(extra: Partial<Options>) {
  return CellMapDataset.open<"raw", "gt">({
    inputPath: join(dir, "data.zarr/recon-1/em/fibsem-uint8"),
    targetPath: join(dir, "data.zarr/recon-1/labels/groundtruth/crop1/[mito]"),
    classes: ["mito"],
    inputArrays: { raw: { shape: [5, 9, 11], scale: [8, 4, 4] } },
    targetArrays: { gt: { shape: [4, 8, 8], scale: [8, 4, 4] } },
    workers: 0,
    device: "cpu",
    isTrain: true,
    ...extra,
  });
}

const RAW_SPEC = { shape: [5, 9, 11] as [number, number, number], scale: [8, 4, 4] as [number, number, number] };
const GT_SPEC = { shape: [4, 8, 8] as [number, number, number], scale: [8, 4, 4] as [number, number, number] };

/** Compare every sample of `ds` at `indices` with scipy; returns the largest displacement seen (nm, per axis). */
async function compareWithScipy(ds: CellMapDataset<"raw" | "gt">, indices: number[], rawTolerance: number): Promise<number[]> {
  const cases: unknown[] = [];
  const items = [];
  for (const i of indices) {
    const plan = ds.plan(i, rngFor(ds.seed, 0, i));
    expect(plan.deform, `sample ${i} is deformed`).toBeDefined();
    const field = { dims: plan.deform!.dims, spacing: plan.deform!.spacing, values: Array.from(plan.deform!.values) };
    const A = plan.augment ? Array.from(plan.augment) : [1, 0, 0, 0, 1, 0, 0, 0, 1];
    items.push(await ds.get(i));
    cases.push({ array: "raw", center: plan.center, A, field, ...RAW_SPEC });
    cases.push({ array: "mito", center: plan.center, A, field, ...GT_SPEC });
  }
  writeFileSync(join(dir, "cases.json"), JSON.stringify(cases));
  runPython(ORACLE, [dir, join(dir, "cases.json")]);
  let compared = 0;
  let padded = 0;
  const largest = [0, 0, 0];
  items.forEach((item, k) => {
    const expRaw = npy(`exp_${2 * k}.npy`);
    let maxErr = 0;
    for (let v = 0; v < expRaw.length; v++) maxErr = Math.max(maxErr, Math.abs(item.raw.data[v]! - expRaw[v]!));
    expect(maxErr, `raw of sample ${indices[k]}`).toBeLessThan(rawTolerance);
    const expLab = npy(`exp_${2 * k + 1}.npy`);
    const mask = npy(`mask_${2 * k + 1}.npy`);
    for (let v = 0; v < expLab.length; v++) {
      if (!mask[v]) continue;
      const got = item.gt.data[v]!;
      expect(Object.is(got, expLab[v]) || got === expLab[v], `mito voxel ${v} of sample ${indices[k]}: ${got} vs ${expLab[v]}`).toBe(true);
      if (Number.isNaN(got)) padded++;
      else compared++;
    }
    const d = npy(`disp_${2 * k}.npy`);
    for (let a = 0; a < 3; a++) largest[a] = Math.max(largest[a]!, d[a]!);
  });
  expect(compared, "label voxels inside the crop").toBeGreaterThan(300);
  expect(padded, "label voxels outside the crop").toBeGreaterThan(0);
  return largest;
}

describe("elastic deformation against scipy", () => {
  const indicesOf = (ds: { length: number }) => [0, Math.floor(ds.length / 3), Math.floor(ds.length / 2), ds.length - 1, 17];

  test("deformed samples equal scipy at coordinates computed from the plan's control grid (with mirror, transpose, rotate)", async () => {
    const ds = await openData({
      seed: 21,
      spatialTransforms: {
        mirror: { axes: { x: 0.5, y: 0.5, z: 0.5 } },
        transpose: { axes: ["x", "y"] },
        rotate: { axes: { z: [-180, 180], y: [-20, 20], x: [-20, 20] } },
        deform: { spacing: [16, 12, 12], magnitude: [6, 10, 10] },
      },
    });
    try {
      expect(ds.deformGrid?.dims).toEqual([6, 6, 7]); // floor(2 * [16, 16, 20] / [16, 12, 12]) + 4
      const largest = await compareWithScipy(ds, indicesOf(ds), 2e-3);
      expect(Math.max(...largest), "the fields move voxels by more than a voxel").toBeGreaterThan(4);
    } finally {
      ds.destroy();
    }
  });

  test("large displacements: scipy agrees, and the sample's chunks hold every displaced read", async () => {
    const ds = await openData({ seed: 4, spatialTransforms: { deform: { spacing: 24, magnitude: [8, 40, 40] } } });
    try {
      const indices = indicesOf(ds);
      const largest = await compareWithScipy(ds, indices, 2e-3);
      expect(largest[1]! + largest[2]!, "displacements cross chunk boundaries (32 nm)").toBeGreaterThan(20);
      // The reads scipy used (python's v) must lie in chunks the array fetches for the sample.
      const raw = ds.input;
      const chunk = raw.levels[0]!.chunks;
      const vol = raw.levels[0]!.shape;
      let grown = 0;
      indices.forEach((i, k) => {
        const plan = ds.plan(i, rngFor(ds.seed, 0, i));
        const opts = { ...RAW_SPEC, interp: "linear" as const };
        const keys = new Set(raw.chunksForSample({ center: plan.center, deform: plan.deform! }, opts).map((c) => c.join()));
        const plain = raw.chunksForSample({ center: plan.center }, opts);
        if (plain.every((c) => keys.has(c.join())) && keys.size > plain.length) grown++;
        const v = npy(`v_${2 * k}.npy`);
        const n = v.length / 3;
        for (let q = 0; q < n; q++) {
          const p = [v[q]!, v[n + q]!, v[2 * n + q]!];
          if (p.some((x, a) => x < 0 || x > vol[a]! - 1)) continue; // pads: reads nothing
          for (const corner of [0, 1]) {
            const c = p.map((x, a) => Math.floor(Math.min(Math.floor(x) + corner, vol[a]! - 1) / chunk[a]!));
            expect(keys.has(c.join()), `sample ${i} reads chunk ${c} at voxel ${p.map((x) => x.toFixed(2))}`).toBe(true);
          }
        }
      });
      expect(grown, "samples whose chunk list grew with the deformation").toBeGreaterThan(0);
    } finally {
      ds.destroy();
    }
  });

  test("a deformed GPU dataset equals scipy too", async () => {
    const gpu = await GpuContext.create();
    const ds = await openData({
      seed: 8,
      gpu,
      device: "gpu",
      spatialTransforms: { rotate: { axes: { z: [-180, 180] } }, deform: { spacing: [16, 12, 12], magnitude: [6, 12, 12] } },
    });
    try {
      await compareWithScipy(ds, indicesOf(ds), 0.05);
    } finally {
      ds.destroy();
      gpu.destroy();
    }
  });
});

describe("displacement layout", () => {
  test("encodeSampleStructs writes dispStep, dispStart, dispDims and the first point; encodeDisplacements concatenates in sample order", () => {
    const base = { matrix: new Float64Array(12), origin: [0, 0, 0], chunkLo: [0, 0, 0], chunkDims: [1, 1, 1], tableOffset: 0 } as const;
    const field = (dims: [number, number, number], first: number) => ({
      dims,
      step: [0.5, 0.25, 0.125] as [number, number, number],
      start: [1.5, 2.5, 3.5 + first] as [number, number, number],
      values: Float32Array.from({ length: 3 * dims[0] * dims[1] * dims[2] }, (_, i) => first + i),
    });
    const samples: ResampleSample[] = [
      { ...base, displacement: field([4, 5, 6], 1000) },
      { ...base },
      { ...base, displacement: field([4, 4, 4], 2000) },
    ];
    const bytes = encodeSampleStructs(samples);
    expect(bytes.byteLength).toBe(3 * SAMPLE_BYTES);
    const f = new Float32Array(bytes);
    const u = new Uint32Array(bytes);
    const at = (k: number, word: number) => (k * SAMPLE_BYTES) / 4 + word;
    // dispStep at byte 96 (word 24), dispStart at 112 (28), dispDims at 128 (32): after six vec4s.
    expect(Array.from(f.subarray(at(0, 24), at(0, 27)))).toEqual([0.5, 0.25, 0.125]);
    expect(Array.from(f.subarray(at(0, 28), at(0, 31)))).toEqual([1.5, 2.5, 1003.5]);
    expect(Array.from(u.subarray(at(0, 32), at(0, 36)))).toEqual([4, 5, 6, 0]);
    expect(Array.from(u.subarray(at(1, 24), at(1, 36))).every((x) => x === 0), "an undisplaced sample has dims 0").toBe(true);
    expect(Array.from(u.subarray(at(2, 32), at(2, 36)))).toEqual([4, 4, 4, 120]);
    const words = encodeDisplacements(samples);
    expect(words.length).toBe(3 * (120 + 64));
    expect(words[0]).toBe(1000);
    expect(words[3 * 120]).toBe(2000);
    expect(words[3 * 120 + 3 * 64 - 1]).toBe(2000 + 3 * 64 - 1);
  });
});
