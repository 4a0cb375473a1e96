/**
 * The standard loader workload of figure 3, built directly on CellMapArray: per batch, one
 * `sample()` call per array (raw, then each class), with a seeded random rotation, mirror and
 * transpose per sample; and the same work done with zarrita only, for the baseline.
 * @module
 */
import { CellMapArray, type SampleSpec } from "../src/array/cellmap-array.ts";
import { openMultiscale, type LevelInfo } from "../src/array/open-multiscale.ts";
import { bytesPerElement } from "../src/kernels/chunks/contract.ts";
import { CoordinateTransformer } from "../src/geometry/transformer.ts";
import type { Vec3 } from "../src/geometry/types.ts";
import type { GpuContext } from "../src/gpu/context.ts";
import type { WorkerPool } from "../src/worker/pool.ts";
import { openZarritaLevel, zarritaSample, type ZarritaLevel } from "./baseline.ts";
import { CLASSES, LABEL_PREFIX, RAW_PATH } from "./dataset.ts";
import { createRng, randomAugment } from "./lib/rng.ts";

/** Shapes of the workload. */
export interface WorkloadSpec {
  /** Raw output edge (voxels) at the raw s0 voxel size; classes get half of it at twice the voxel size. */
  rawEdge: number;
  batch: number;
  /** Batches per timed run. */
  batches: number;
}

/** One array of the workload and how it is read. */
export interface WorkloadArray {
  name: string;
  location: string;
  /** Path of the array below the dataset root, for zarrita. */
  path: string;
  shape: Vec3;
  scale: Vec3;
  interp: "linear" | "nearest";
  /** NaN for labels outside their crop ("unknown"), 0 for raw. */
  pad: number;
  /** The level the output grid reads (level choice of the library). */
  level: LevelInfo;
}

/** Bytes the chunk cache needs to hold every chunk of the level an array reads. */
export function levelBytes(level: LevelInfo): number {
  const chunks = [0, 1, 2].reduce((n, k) => n * Math.ceil(level.shape[k]! / level.chunks[k]!), 1);
  return chunks * level.chunks[0] * level.chunks[1] * level.chunks[2] * bytesPerElement(level.kind);
}

/** The arrays of a CellMap-layout dataset at `base` (URL or path), with the workload's shapes. */
export async function workloadArrays(base: string, spec: WorkloadSpec): Promise<{ arrays: WorkloadArray[]; rawLevel: LevelInfo; region: { lo: Vec3; hi: Vec3 } }> {
  const rawLevels = (await openMultiscale(`${base}/${RAW_PATH}`)).levels;
  const rawLevel = rawLevels[0]!;
  const s = rawLevel.scale;
  const n = spec.rawEdge;
  const readLevel = (levels: LevelInfo[], shape: Vec3, scale: Vec3, interp: "linear" | "nearest") =>
    levels[new CoordinateTransformer(levels, { shape, scale }, interp).level]!;
  const arrays: WorkloadArray[] = [
    { name: "raw", location: `${base}/${RAW_PATH}`, path: RAW_PATH, shape: [n, n, n], scale: [...s], interp: "linear", pad: 0, level: readLevel(rawLevels, [n, n, n], [...s], "linear") },
  ];
  for (const c of CLASSES) {
    const location = `${base}/${LABEL_PREFIX}/${c}`;
    const shape: Vec3 = [n / 2, n / 2, n / 2];
    const scale: Vec3 = [2 * s[0], 2 * s[1], 2 * s[2]];
    const levels = (await openMultiscale(location)).levels;
    arrays.push({ name: c, location, path: `${LABEL_PREFIX}/${c}`, shape, scale, interp: "nearest", pad: Number.NaN, level: readLevel(levels, shape, scale, "nearest") });
  }
  // Centers: where raw and every class overlap, kept half a field of view from the edges when there is room.
  const lo: Vec3 = [-Infinity, -Infinity, -Infinity];
  const hi: Vec3 = [Infinity, Infinity, Infinity];
  for (const a of arrays) {
    const probeArr = a.level;
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.max(lo[k]!, probeArr.translation[k]! - probeArr.scale[k]! / 2);
      hi[k] = Math.min(hi[k]!, probeArr.translation[k]! + (probeArr.shape[k]! - 0.5) * probeArr.scale[k]!);
    }
  }
  const half = (n / 2) * Math.max(...s);
  for (let k = 0; k < 3; k++) {
    if (hi[k]! - lo[k]! > 2 * half) {
      lo[k] = lo[k]! + half;
      hi[k] = hi[k]! - half;
    } else {
      lo[k] = hi[k] = (lo[k]! + hi[k]!) / 2;
    }
  }
  return { arrays, rawLevel, region: { lo, hi } };
}

/** The specs of `count` batches, drawn from `seed`: uniform centers in the region, random augmentation. */
export function workloadBatches(region: { lo: Vec3; hi: Vec3 }, spec: WorkloadSpec, seed: number): SampleSpec[][] {
  const rand = createRng(seed);
  return Array.from({ length: spec.batches }, () =>
    Array.from({ length: spec.batch }, () => ({
      center: [0, 1, 2].map((k) => region.lo[k]! + rand() * (region.hi[k]! - region.lo[k]!)) as Vec3,
      augment: randomAugment(rand),
    })),
  );
}

/** Open every array of the workload with the library (fresh caches). */
export async function openOurs(arrays: WorkloadArray[], opts: { gpu: GpuContext | undefined; pool: WorkerPool; budget: (a: WorkloadArray) => number }): Promise<CellMapArray[]> {
  return Promise.all(arrays.map((a) => CellMapArray.open(a.location, {
    ...(opts.gpu ? { gpu: opts.gpu, device: "gpu" as const } : { device: "cpu" as const }),
    cacheBytes: opts.budget(a),
    pool: opts.pool,
  })));
}

/** One batch through the library: one `sample()` per array, all arrays at once. */
export function runOurs(opened: CellMapArray[], arrays: WorkloadArray[], specs: SampleSpec[]): Promise<Float32Array[]> {
  return Promise.all(opened.map((o, i) => {
    const a = arrays[i]!;
    return o.sample(specs, { shape: a.shape, scale: a.scale, interp: a.interp, pad: a.pad });
  }));
}

/** Open every array of the workload with zarrita only. */
export function openBaseline(root: string, arrays: WorkloadArray[]): Promise<ZarritaLevel[]> {
  return Promise.all(arrays.map((a) => openZarritaLevel(root, `${a.path}/${a.level.path}`, a.level)));
}

/** One batch with zarrita only: every (sample, array) read and interpolated, all started at once. */
export async function runBaseline(levels: ZarritaLevel[], arrays: WorkloadArray[], specs: SampleSpec[]): Promise<Float32Array[]> {
  const outs = arrays.map((a) => new Float32Array(specs.length * a.shape[0] * a.shape[1] * a.shape[2]));
  await Promise.all(arrays.flatMap((a, i) => specs.map((s, b) => {
    const per = a.shape[0] * a.shape[1] * a.shape[2];
    return zarritaSample(levels[i]!, a.shape, a.scale, s.center, s.augment ?? [1, 0, 0, 0, 1, 0, 0, 0, 1], a.interp, a.pad, outs[i]!.subarray(b * per, (b + 1) * per));
  })));
  return outs;
}
