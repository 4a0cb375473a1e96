/**
 * The sample panel's link to the dataset API: open one `CellMapDataset` per selected crop with the
 * panel's config (or, for 2D slices, one per crop and slicing axis with `openSlicedDatasets`),
 * combine them in a `CellMapMultiDataset`, and read batches through a `CellMapDataLoader`,
 * exactly as a training script would. Also recovers each sample's plan
 * (center and augmentation matrix) so the views can draw its box.
 * @module
 */
import { rngFor } from "../../src/entries/reference.ts";
import { CellMapDataLoader, type Batch } from "../../src/index.ts";
import { CellMapDataset } from "../../src/index.ts";
import { CellMapMultiDataset } from "../../src/index.ts";
import { openSlicedDatasets, SLICING_AXES, slicedShape } from "../../src/index.ts";
import { arrayBounds, SamplingGrid } from "../../src/index.ts";
import type { ArrayData } from "../../src/index.ts";
import type { Vec3 } from "../../src/index.ts";
import type { GpuContext } from "../../src/index.ts";
import type { WorkerPool } from "../../src/index.ts";
import { datasetKey, type SampleConfig } from "./sample-config.ts";
import type { Source } from "./source.ts";
import type { DrawnSample, SamplingRegion } from "./state.ts";

/** The opened datasets for one config. */
export interface Datasets {
  key: string;
  /**
   * One per crop that annotates at least one chosen class, in crop order (2D: one per crop and
   * slicing axis, z, y, x), in the multi-dataset's order.
   */
  crops: Array<{ name: string; dataset: CellMapDataset }>;
  multi: CellMapMultiDataset;
  destroy(): void;
}

/** A batch as the loader feeds it, with each sample's plan. */
export interface DrawnBatch {
  batch: Batch<string, "cpu">;
  samples: DrawnSample[];
  /** Names of the input and target arrays. */
  inputs: string[];
  targets: string[];
  classes: readonly string[];
}

/** Open the datasets of a config (one per crop), sharing the app's GPU and worker pool. */
export async function openDatasets(source: Source, config: SampleConfig, gpu: GpuContext, pool: WorkerPool): Promise<Datasets> {
  const crops = source.crops.filter((c) => config.crops.includes(c.name) && c.classes.some((cls) => config.classes.includes(cls)));
  if (crops.length === 0) throw new Error("no chosen crop annotates a chosen class: pick other classes or crops");
  const opened: Array<{ name: string; dataset: CellMapDataset }> = [];
  try {
    for (const c of crops) {
      const targetPath = Object.fromEntries(c.classes.filter((cls) => config.classes.includes(cls)).map((cls) => [cls, `${c.url}/${cls}`]));
      const options = {
        inputPath: source.rawUrl,
        targetPath,
        classes: config.classes,
        inputArrays: config.inputArrays,
        targetArrays: config.targetArrays,
        spatialTransforms: config.spatialTransforms,
        valueTransforms: config.valueTransforms,
        ...(config.targetValueTransforms ? { targetValueTransforms: config.targetValueTransforms } : {}),
        isTrain: config.isTrain,
        pad: config.pad,
        seed: config.seed,
        gpu,
        pool,
        cacheBytes: 16 * 2 ** 20,
      };
      if (config.slices2D) {
        // The app's pool is passed, so the multi-dataset leaves it running.
        const slices = await openSlicedDatasets(options);
        for (const dataset of slices.datasets) opened.push({ name: c.name, dataset });
      } else {
        opened.push({ name: c.name, dataset: await CellMapDataset.open(options) });
      }
    }
    const multi = new CellMapMultiDataset(opened.map((o) => o.dataset));
    return { key: datasetKey(config), crops: opened, multi, destroy: () => opened.forEach((o) => o.dataset.destroy()) };
  } catch (e) {
    for (const o of opened) o.dataset.destroy();
    throw e;
  }
}

/** Where sample centers can fall per crop, from the arrays' bounds (no dataset needs opening). */
export function samplingRegions(source: Source, config: SampleConfig): SamplingRegion[] {
  const specs = [...Object.values(config.inputArrays), ...Object.values(config.targetArrays)];
  // 2D: one grid per slicing axis, its arrays one voxel thick there and never padded along it.
  const axes = config.slices2D ? SLICING_AXES.map((a, k) => ({ label: ` (${a})`, outputs: specs.map((s) => ({ shape: slicedShape(s.shape, a), scale: s.scale as Vec3 })), pad: [0, 1, 2].map((i) => config.pad && i !== k) }))
    : [{ label: "", outputs: specs.map((s) => ({ shape: s.shape as Vec3, scale: s.scale as Vec3 })), pad: config.pad }];
  const out: SamplingRegion[] = [];
  for (const c of source.crops) {
    if (!config.crops.includes(c.name)) continue;
    const classes = c.classes.filter((cls) => config.classes.includes(cls));
    if (classes.length === 0) continue;
    const bounds = [source.bounds, ...classes.map((cls) => arrayBounds(c.arrays.get(cls)!.levels[0]!))];
    for (const a of axes) {
      const grid = new SamplingGrid({ bounds, outputs: a.outputs, pad: a.pad });
      if (grid.length > 0) out.push({ crop: c.name + a.label, box: grid.box, count: grid.length });
    }
  }
  return out;
}

/** A loader over the datasets with the config's sampler, seed and epoch. */
export function makeLoader(d: Datasets, config: SampleConfig, iterations: number, sampler = config.sampler): CellMapDataLoader<string, "cpu"> {
  return new CellMapDataLoader(d.multi, {
    batchSize: config.batchSize,
    iterationsPerEpoch: iterations,
    seed: config.seed,
    epoch: config.epoch,
    sampler,
    prefetch: 1,
    output: "cpu",
  });
}

/** Read the first batch of the config's epoch, and each sample's plan. */
export async function drawBatch(d: Datasets, config: SampleConfig): Promise<DrawnBatch> {
  const loader = makeLoader(d, config, 1);
  let batch: Batch<string, "cpu"> | undefined;
  for await (const b of loader) {
    batch = b;
    break;
  }
  if (!batch) throw new Error("the loader gave no batch");
  const samples = await plansOf(d, loader, batch);
  return {
    batch,
    samples,
    inputs: Object.keys(config.inputArrays),
    targets: Object.keys(config.targetArrays),
    classes: d.multi.classes,
  };
}

/**
 * Each sample's plan, as the loader drew it: batch slot j holds stream position j (rank 0 of 1),
 * slots are grouped by dataset (stable), and a sample's augmentation comes from
 * `rngFor(seed, epoch, position)` (see the loader's determinism notes). Checked against the
 * centers the batch reports.
 */
async function plansOf(d: Datasets, loader: CellMapDataLoader<string, "cpu">, batch: Batch<string, "cpu">): Promise<DrawnSample[]> {
  const indices = await loader.indices(0);
  const order = new Map(d.multi.datasets.map((ds, i) => [ds, i]));
  const entries = indices.map((idx, p) => {
    const { dataset, index } = d.multi.locate(idx);
    return { p, idx, dataset, index, rank: order.get(dataset)! };
  });
  entries.sort((a, b) => a.rank - b.rank || a.p - b.p);
  // The 3D read of each array (a 2D slice is one voxel thick across its axis).
  const arraysOf = (ds: CellMapDataset) => [
    ...Object.entries(ds.inputArrays).map(([name, s]) => ({ name, kind: "input" as const, shape: [...s.shape] as Vec3, scale: [...s.scale] as Vec3 })),
    ...Object.entries(ds.targetArrays).map(([name, s]) => ({ name, kind: "target" as const, shape: [...s.shape] as Vec3, scale: [...s.scale] as Vec3 })),
  ];
  return entries.map((e, b) => {
    const plan = e.dataset.plan(e.index, rngFor(loader.seed, loader.epoch, e.p));
    const reported = batch.center[b]!;
    if (e.idx !== batch.idx[b] || plan.center.some((x, k) => Math.abs(x - reported[k]!) > 1e-6)) {
      throw new Error(`sample ${b}: the recovered plan (index ${e.idx}) does not match the batch (index ${batch.idx[b]})`);
    }
    const crop = d.crops.find((c) => c.dataset === e.dataset)?.name ?? "?";
    return {
      index: b,
      datasetIndex: e.idx,
      crop,
      center: [...plan.center] as Vec3,
      augment: plan.augment,
      arrays: arraysOf(e.dataset),
      dataset: e.dataset,
      localIndex: e.index,
      slicingAxis: e.dataset.slicingAxis,
      deformed: plan.deform !== undefined,
    };
  });
}

/** Voxel counts per class over a batch's target array: foreground (> 0.5) and known (not NaN). */
export function countClasses(target: ArrayData, classes: readonly string[]): Map<string, { fg: number; known: number; total: number; samplesWith: number }> {
  const [B, C] = target.shape as [number, number];
  const V = target.data.length / (B * C);
  const out = new Map(classes.map((c) => [c, { fg: 0, known: 0, total: 0, samplesWith: 0 }]));
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const e = out.get(classes[c]!)!;
      const base = (b * C + c) * V;
      let fg = 0;
      let known = 0;
      for (let i = 0; i < V; i++) {
        const v = target.data[base + i]!;
        if (v === v) {
          known++;
          if (v > 0.5) fg++;
        }
      }
      e.fg += fg;
      e.known += known;
      e.total += V;
      if (fg > 0) e.samplesWith++;
    }
  }
  return out;
}
