// End to end on the synthetic CellMap sample dataset (src/sample-data): a datasplit CSV over its
// two crops (zarr v3 sharded, NGFF 0.5), class counts from complement_counts against the
// generator's manifest, and a training loader whose targets are the crops' label voxels.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CellMapDataLoader } from "../src/dataset/dataloader.ts";
import { CellMapDataSplit } from "../src/dataset/datasplit.ts";
import { generateSampleDataset, type SampleManifest } from "../src/sample-data/index.ts";
import { createFsTarget } from "../src/zarr-write/fs-target.ts";

let dir: string;
let manifest: SampleManifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cellmap-sample-"));
  manifest = await generateSampleDataset(createFsTarget(dir), { seed: 3, formats: [3], size: [48, 96, 96], levels: 2 });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a split over the sample dataset's crops: counts match the manifest, batches hold label values", async () => {
  const copy = manifest.copies[0]!.path;
  const [train, val] = manifest.crops as [SampleManifest["crops"][number], SampleManifest["crops"][number]];
  const zarr = join(dir, copy);
  const csv = [
    `"train","${zarr}","${manifest.raw.path}","${zarr}","${train.path}/[${train.classes.join(",")}]"`,
    `"validate","${zarr}","${manifest.raw.path}","${zarr}","${val.path}/[${val.classes.join(",")}]"`,
  ].join("\n");
  const classes = [...manifest.classes];
  const split = await CellMapDataSplit.open({
    csv,
    classes,
    inputArrays: { raw: { shape: [8, 16, 16], scale: [8, 4, 4] } },
    targetArrays: { gt: { shape: [4, 8, 8], scale: [8, 8, 8] } },
    spatialTransforms: { mirror: { axes: { x: 0.5, y: 0.5 } }, rotate: { axes: { z: [-180, 180] } } },
    trainValueTransforms: { raw: [{ normalize: {} }] },
    workers: 0,
    device: "cpu",
  });
  try {
    expect(split.skipped).toEqual([]);
    const counts = await split.classCounts;
    for (const [crop, got] of [[train, counts.train], [val, counts.validate]] as const) {
      const voxel = crop.levels[0]!.scale.reduce((a, b) => a * b, 1); // world volume of one s0 voxel
      for (const c of classes) {
        const want = crop.counts[c];
        expect(got[c], `${crop.name} ${c}`).toEqual(want ? { foreground: want.present * voxel, background: want.absent * voxel } : { foreground: 0, background: 0 });
      }
    }
    const loader = new CellMapDataLoader(split.train, { batchSize: 2, iterationsPerEpoch: 3, seed: 1, sampler: "classBalanced" });
    let batches = 0;
    for await (const batch of loader) {
      batches++;
      expect(batch.raw.shape).toEqual([2, 1, 8, 16, 16]);
      expect(batch.gt.shape).toEqual([2, classes.length, 4, 8, 8]);
      expect(batch.raw.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      const per = 4 * 8 * 8;
      classes.forEach((c, k) => {
        for (let b = 0; b < 2; b++) {
          const vals = batch.gt.data.subarray((b * classes.length + k) * per, (b * classes.length + k + 1) * per);
          if (!train.classes.includes(c as never)) expect(vals.every((v) => Number.isNaN(v)), `${c} is not in ${train.name}`).toBe(true);
          else expect(vals.every((v) => Number.isNaN(v) || v === 0 || v === 1), `${c} values`).toBe(true);
        }
      });
    }
    expect(batches).toBe(3);
    expect(split.validationBlocks.length).toBeGreaterThan(0);
  } finally {
    split.destroy();
  }
});

test("GPU batches mixing two crops (classes each crop lacks filled with emptyValue) equal CPU batches", async () => {
  const { CellMapDataset } = await import("../src/dataset/dataset.ts");
  const { CellMapMultiDataset } = await import("../src/dataset/multidataset.ts");
  const { GpuContext } = await import("../src/gpu/context.ts");
  const gpu = await GpuContext.create({ label: "mixed-crop batch test" });
  const zarr = join(dir, manifest.copies[0]!.path);
  const classes = [...manifest.classes];
  const open = (device: "gpu" | "cpu") => Promise.all(manifest.crops.map((crop) => CellMapDataset.open({
    inputPath: `${zarr}/${manifest.raw.path}`,
    targetPath: `${zarr}/${crop.path}/[${crop.classes.join(",")}]`,
    classes,
    inputArrays: { raw: { shape: [4, 8, 8], scale: [8, 4, 4] } },
    // 8 x 32 x 32 targets: fills of several samples outgrow the 64 KiB constant buffer mid-batch.
    targetArrays: { gt: { shape: [8, 32, 32], scale: [8, 8, 8] } },
    workers: 0,
    device,
    ...(device === "gpu" ? { gpu } : {}),
  })));
  const [g, c] = [await open("gpu"), await open("cpu")];
  try {
    const read = async (datasets: Awaited<ReturnType<typeof open>>) => {
      const loader = new CellMapDataLoader(new CellMapMultiDataset(datasets), { batchSize: 7, iterationsPerEpoch: 3, seed: 5 });
      const out: Float32Array[] = [];
      for await (const batch of loader) out.push(batch.gt.data, batch.raw.data);
      return out;
    };
    const [a, b] = [await read(g), await read(c)];
    expect(a.length).toBe(6);
    let nan = 0;
    a.forEach((arr, i) => {
      for (let v = 0; v < arr.length; v++) {
        if (Number.isNaN(arr[v])) nan++;
        expect(Object.is(arr[v], b[i]![v]) || Math.abs(arr[v]! - b[i]![v]!) < 1e-3, `array ${i} voxel ${v}: ${arr[v]} vs ${b[i]![v]}`).toBe(true);
      }
    });
    expect(nan).toBeGreaterThan(0);
  } finally {
    for (const d of [...g, ...c]) d.destroy();
    gpu.destroy();
  }
});
