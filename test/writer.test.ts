// CellMapDatasetWriter in Node against independent readers: zarr-python (Debian python3-zarr,
// 2.x) reads the v2/NGFF 0.4 output with the right values and metadata, and scipy checks an
// inference loop's output. The shared writer cases (test/setup/writer-cases.ts: zarrita round
// trips, crash and resume, option errors) run from the case registry (test/setup/cases.ts).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { CellMapDatasetWriter } from "../src/dataset/writer.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";
import { PYTHON } from "./helpers/python.ts";
import { options, predict, runModel } from "./setup/writer-cases.ts";
import { writeRawFixture } from "./setup/writer-input-fixture.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-writer-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// zarr-python computes f(class, world) itself from the metadata it reads, independently of our
// reader, and reports the largest error per array.
const ORACLE = `
import json, sys, zarr, numpy as np
root, classes = sys.argv[1], json.loads(sys.argv[2])
out = {}
for c, cls in enumerate(classes):
    g = zarr.open_group(f"{root}/{cls}", mode="r")
    ms = g.attrs["multiscales"][0]
    for d in ms["datasets"]:
        a = g[d["path"]]
        scale = d["coordinateTransformations"][0]["scale"]
        trans = d["coordinateTransformations"][1]["translation"]
        Z, Y, X = np.meshgrid(*[trans[k] + np.arange(a.shape[k]) * scale[k] for k in range(3)], indexing="ij")
        want = 1000 * c + 0.5 * Z + 0.25 * Y + 0.125 * X
        out[f"{cls}/{d['path']}"] = {
            "maxError": float(np.abs(a[...] - want).max()),
            "shape": list(a.shape), "chunks": list(a.chunks), "dtype": str(a.dtype),
            "fill": float(a.fill_value), "scale": scale, "translation": trans,
            "version": ms["version"], "axes": [x["name"] for x in ms["axes"]],
            "units": [x.get("unit") for x in ms["axes"]],
        }
print(json.dumps(out))
`;

const hasZarr = spawnSync(PYTHON, ["-c", "import zarr, numpy"], { stdio: "ignore" }).status === 0;

describe("zarr-python reads the v2 output", () => {
  test("values, shapes, NGFF 0.4 scale and translation", async () => {
    expect(hasZarr, `${PYTHON} lacks zarr-python: apt-get install python3-zarr (or set CELLMAP_PYTHON)`).toBe(true);
    const o = options(join(dir, "v2.zarr"), { zarrFormat: 2, codec: { name: "zstd" } });
    const writer = await CellMapDatasetWriter.create(o);
    expect(writer.ngffVersion).toBe("0.4");
    for (const t of writer.tiles()) await writer.write(t.idx, predict(o, t.center));
    await writer.close();
    const run = spawnSync(PYTHON, ["-c", ORACLE, o.path, JSON.stringify(o.classes)], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, { maxError: number; shape: number[]; chunks: number[]; dtype: string; fill: number; scale: number[]; translation: number[]; version: string; axes: string[]; units: string[] }>;
    expect(Object.keys(report).sort()).toEqual(["er/s0", "er/s1", "mito/s0", "mito/s1"]);
    for (const cls of o.classes) {
      const s0 = report[`${cls}/s0`]!;
      const s1 = report[`${cls}/s1`]!;
      for (const r of [s0, s1]) {
        expect(r.maxError).toBeLessThan(1e-3);
        expect(r.dtype).toBe("float32");
        expect(r.fill).toBe(0);
        expect(r.version).toBe("0.4");
        expect(r.axes).toEqual(["z", "y", "x"]);
        expect(r.units).toEqual(["nanometer", "nanometer", "nanometer"]);
      }
      // pred4 (s0): bounds z [0, 80], y [100, 150], x [-10, 30] at [4, 4, 2]: voxel 0 centered half
      // a voxel inside the bounds on z and x, ceil(size / scale) voxels, chunks = the tile in
      // voxels. On y its 6-voxel prediction is centered on a 5-voxel tile, so its voxel centers
      // lie on the tile edges: snapped half a voxel down (centers 100 + 4 i, edge at 98).
      expect(s0.scale).toEqual([4, 4, 2]);
      expect(s0.translation).toEqual([2, 100, -9]);
      expect(s0.shape).toEqual([20, 13, 20]);
      expect(s0.chunks).toEqual([8, 5, 6]);
      // pred8 (s1): its z bounds start at 12, half of its 8 nm voxel off the tiles' lattice: snapped
      // down to voxel centers at 12 + 8 i (edge at 8); y and x start on the lattice.
      expect(s1.scale).toEqual([8, 4, 2]);
      expect(s1.translation).toEqual([12, 102, -9]);
      expect(s1.shape).toEqual([8, 10, 18]);
    }
  });
});

// zarr-python reads both the raw volume (written to disk as zarr v2) and the writer's v2 output;
// scipy.ndimage.map_coordinates (order 1, mode "constant") resamples the raw at every output
// voxel's world position, and the model is applied there: independent of our reader and sampler.
const INFERENCE_ORACLE = `
import json, sys, zarr, numpy as np
from scipy.ndimage import map_coordinates
raw_path, out_path, classes, pad, threshold = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rg = zarr.open_group(raw_path, mode="r")
r0 = rg.attrs["multiscales"][0]["datasets"][0]
rs, rt = r0["coordinateTransformations"][0]["scale"], r0["coordinateTransformations"][1]["translation"]
raw = rg[r0["path"]][...].astype(np.float64)
out = {}
for c, cls in enumerate(classes):
    g = zarr.open_group(f"{out_path}/{cls}", mode="r")
    d = g.attrs["multiscales"][0]["datasets"][0]
    scale, trans = d["coordinateTransformations"][0]["scale"], d["coordinateTransformations"][1]["translation"]
    a = g[d["path"]][...]
    W = np.meshgrid(*[trans[k] + np.arange(a.shape[k]) * scale[k] for k in range(3)], indexing="ij")
    V = np.stack([(W[k] - rt[k]) / rs[k] for k in range(3)])
    x = map_coordinates(raw, V, order=1, mode="constant", cval=pad)
    want = (x > threshold).astype(np.float64) if c == 0 else 0.5 * x
    out[cls] = {"maxError": float(np.abs(a - want).max()), "voxels": int(a.size), "ones": int((want == 1).sum()) if c == 0 else None, "padded": int((x == pad).sum())}
print(json.dumps(out))
`;

describe("zarr-python and scipy check an inference loop's v2 output", () => {
  test("raw read from a local v2 folder by worker threads; output = model(scipy resampling) at every voxel", async () => {
    expect(hasZarr, `${PYTHON} lacks zarr-python: apt-get install python3-zarr (or set CELLMAP_PYTHON)`).toBe(true);
    const rawPath = join(dir, "raw.zarr");
    await writeRawFixture(createFsTarget(rawPath), "", 2);
    const o = options(join(dir, "pred.zarr"), {
      zarrFormat: 2,
      classes: ["fg", "half"],
      targetArrays: { pred: { shape: [4, 4, 4], scale: [4, 4, 4] } },
      targetBounds: { pred: { z: [0, 48], y: [-8, 40], x: [8, 56] } },
      inputPath: rawPath,
      inputArrays: { raw: { shape: [6, 6, 6], scale: [4, 4, 4] } },
      inputPad: -2,
      workers: 2,
    });
    const writer = await CellMapDatasetWriter.create(o);
    for await (const batch of writer.loader({ batchSize: 4 })) {
      await writer.write(batch.idx, { pred: runModel(batch["raw"]!.data, batch.idx.length) });
    }
    await writer.close();
    const run = spawnSync(PYTHON, ["-c", INFERENCE_ORACLE, rawPath, o.path, JSON.stringify(o.classes), "-2", "100.5"], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, { maxError: number; voxels: number; ones: number | null; padded: number }>;
    for (const cls of o.classes) {
      expect(report[cls]!.voxels).toBe(12 * 12 * 12);
      expect(report[cls]!.maxError).toBeLessThan(1e-4);
      expect(report[cls]!.padded).toBeGreaterThan(0);
    }
    // The threshold splits the volume: both classes of the first channel occur.
    expect(report["fg"]!.ones).toBeGreaterThan(0);
    expect(report["fg"]!.ones).toBeLessThan(12 * 12 * 12 - report["fg"]!.padded);
  });
});
