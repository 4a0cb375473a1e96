// The GPU path's calls per loader batch in steady state (after an epoch's first batch), counted
// by GpuContext.countCalls() on Dawn in Node: raw with value passes, four classes (two read from
// the crop, two it does not annotate) with a class relationship and target value passes, read
// back to the CPU.
import { expect, test } from "vitest";
import { CellMapDataLoader } from "../src/dataset/dataloader.ts";
import { CellMapDataset } from "../src/dataset/dataset.ts";
import { diffCounts, type GpuCallCounts } from "../src/gpu/call-counts.ts";
import { GpuContext } from "../src/gpu/context.ts";
import { buildFixture, SCALE } from "./setup/dataset-fixture.ts";

const open = async (gpu: GpuContext, cacheBytes?: number) => {
  const fx = await buildFixture(2);
  return CellMapDataset.open<"raw", "gt">({
    inputPath: fx.rawUrl,
    targetPath: `${fx.cropUrl}/[mito,er]`,
    classes: ["mito", "er", "nucleus", "cell"],
    inputArrays: { raw: { shape: [3, 6, 6], scale: [SCALE, SCALE, SCALE] } },
    targetArrays: { gt: { shape: [2, 4, 4], scale: [SCALE, SCALE, SCALE] } },
    isTrain: true,
    spatialTransforms: { rotate: { axes: { z: [-180, 180] } }, mirror: { axes: { y: 0.5 } } },
    valueTransforms: { raw: [{ normalize: {} }, { gaussianNoise: { std: 0.05 } }] },
    targetValueTransforms: { er: [{ binarize: { threshold: 0.5 } }], nucleus: [{ nanToNum: { nan: -1 } }] },
    classRelationships: { nucleus: ["mito", "er"] },
    workers: 0,
    storeOptions: { fetch: fx.fetch },
    device: "gpu",
    gpu,
    ...(cacheBytes === undefined ? {} : { cacheBytes }),
  });
};

test("a steady-state loader batch: one submit, one map, no buffer created", async () => {
  const gpu = await GpuContext.create();
  const counter = gpu.countCalls();
  const ds = await open(gpu);
  try {
    const epoch = async (batches: number, epochIndex: number): Promise<GpuCallCounts> => {
      const before = counter.snapshot();
      const loader = new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: batches, seed: 7, epoch: epochIndex, prefetch: 1 });
      for await (const b of loader) expect(b.raw.data.length).toBe(4 * 108);
      return diffCounts(counter.snapshot(), before);
    };
    await epoch(1, 0); // compiles the pipelines, makes the constant buffers
    const one = await epoch(1, 1);
    const five = await epoch(5, 2);
    const steady = (k: keyof GpuCallCounts) => (five[k] - one[k]) / 4;
    console.log("first batch of an epoch", one, "steady state per batch", Object.fromEntries(Object.keys(one).map((k) => [k, steady(k as keyof GpuCallCounts)])));
    expect(steady("maps")).toBe(1);
    expect(steady("submits")).toBe(1);
    expect(steady("createBuffers")).toBe(0);
  } finally {
    ds.destroy();
    gpu.destroy();
  }
}, 120_000);

test("caches too small for a batch's chunks: batches read in prefetch still finish, with the same values", async () => {
  const gpu = await GpuContext.create();
  const counter = gpu.countCalls();
  const roomy = await open(gpu);
  const tight = await open(gpu, 16 * 1024);
  try {
    const read = async (ds: typeof roomy, prefetch: number) => {
      const out: Float32Array[] = [];
      const before = counter.snapshot();
      for await (const b of new CellMapDataLoader(ds, { batchSize: 4, iterationsPerEpoch: 4, seed: 11, prefetch })) out.push(b.raw.data, b.gt.data);
      return { out, submits: diffCounts(counter.snapshot(), before).submits };
    };
    const a = await read(roomy, 1);
    const b = await read(tight, 3);
    expect(b.out).toEqual(a.out);
    expect(a.submits).toBe(4);
    expect(b.submits).toBeGreaterThan(4); // the batches that waited for a slot submitted early
  } finally {
    roomy.destroy();
    tight.destroy();
    gpu.destroy();
  }
}, 120_000);

test("the upload pool reuses a released buffer of the same size class, and a reused scratch reads as zero", async () => {
  const gpu = await GpuContext.create();
  const counter = gpu.countCalls();
  try {
    const pool = gpu.uploads;
    const STORAGE_COPY = 0x80 | 0x04; // STORAGE | COPY_SRC
    const a = pool.upload("a", STORAGE_COPY, new Uint8Array([1, 2, 3, 4, 5]));
    pool.release(a);
    const before = counter.snapshot();
    const encoder = gpu.device.createCommandEncoder();
    const b = pool.scratch(encoder, "b", STORAGE_COPY, 200);
    gpu.device.queue.submit([encoder.finish()]);
    expect(b).toBe(a);
    expect(diffCounts(counter.snapshot(), before).createBuffers).toBe(0);
    expect([...new Uint8Array(await gpu.readBuffer(b, 0, 200))].every((v) => v === 0)).toBe(true);
  } finally {
    gpu.destroy();
  }
});
