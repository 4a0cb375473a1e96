/**
 * The resample kernel alone, on a chunk cache that is already resident on the GPU: what the GPU
 * benchmark measures against the device-memory bandwidth floor. The cache holds a synthetic
 * volume (one slot per chunk, slot = linear chunk index); the samples, their affines and slot
 * tables come from the library's own CoordinateTransformer and chunk grid, as in CellMapArray.
 * @module
 */
import { chunksInBox } from "../../src/array/chunk-grid.ts";
import { slotWords as slotWordsOf } from "../../src/kernels/chunks/contract.ts";
import { CoordinateTransformer } from "../../src/geometry/transformer.ts";
import type { Vec3 } from "../../src/geometry/types.ts";
import type { GpuContext } from "../../src/gpu/context.ts";
import { getResamplePipeline } from "../../src/kernels/resample/gpu-pipeline.ts";
import { recordResample } from "../../src/kernels/resample/gpu.ts";
import { resampleVariant, type ResampleSample } from "../../src/kernels/resample/contract.ts";
import { randomAugment, createRng } from "./rng.ts";
import { summarize, type Stat } from "./stats.ts";

/** A synthetic u8 volume resident in a GPU chunk cache. */
export interface ResidentVolume {
  volume: Vec3;
  chunk: Vec3;
  slotWords: number;
  cache: GPUBuffer;
  destroy(): void;
}

/** Upload a random u8 volume of `volume` voxels in chunks of `chunk` (slot = linear chunk index). */
export function residentVolume(ctx: GpuContext, volume: Vec3, chunk: Vec3, seed = 1): ResidentVolume {
  const grid = volume.map((n, k) => Math.ceil(n / chunk[k]!)) as Vec3;
  const words = slotWordsOf(chunk, "u8");
  const slots = grid[0] * grid[1] * grid[2];
  const bytes = slots * words * 4;
  if (bytes > ctx.maxStorageBinding) {
    throw new RangeError(`a ${volume.join("x")} cache needs ${bytes} bytes; this device binds at most ${ctx.maxStorageBinding}`);
  }
  const cache = ctx.device.createBuffer({ label: "bench resident cache", size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  // Smooth values with noise, written slot by slot from one reusable staging array.
  const rand = createRng(seed);
  const slot = new Uint32Array(words);
  for (let s = 0; s < slots; s++) {
    for (let i = 0; i < words; i++) slot[i] = (rand() * 0x100000000) >>> 0;
    ctx.device.queue.writeBuffer(cache, s * words * 4, slot);
  }
  return { volume, chunk, slotWords: words, cache, destroy: () => cache.destroy() };
}

/** One kernel case: output shape, batch, interpolation, output voxel size relative to the source. */
export interface KernelCase {
  interp: "linear" | "nearest";
  outShape: Vec3;
  batch: number;
  /** Output voxel size in source voxels (1 = same resolution). */
  zoom?: number;
  seed?: number;
}

/** What one kernel case measured. */
export interface KernelResult {
  /** ms per dispatch (GPU timestamps when the device has them, else wall clock per submit / dispatches). */
  ms: Stat;
  /** How `ms` was timed. */
  clock: "timestamp-query" | "wall";
  /** Output voxels per dispatch. */
  voxels: number;
  /** Lower bound on device-memory traffic per dispatch: f32 writes plus one read of each source voxel the output covers. */
  floorBytes: number;
}

/**
 * The samples of a kernel case: random rotation/mirror/transpose about centers spread around the
 * middle of the volume (kept inside it, so no output voxel is padding).
 */
export function kernelSamples(vol: ResidentVolume, c: KernelCase): { samples: ResampleSample[]; table: Uint32Array } {
  const zoom = c.zoom ?? 1;
  const levels = [{ scale: [1, 1, 1] as Vec3, translation: [0, 0, 0] as Vec3, shape: vol.volume }];
  const t = new CoordinateTransformer(levels, { shape: c.outShape, scale: [zoom, zoom, zoom] }, c.interp);
  const rand = createRng(c.seed ?? 7);
  const grid = vol.volume.map((n, k) => Math.ceil(n / vol.chunk[k]!)) as Vec3;
  const half = Math.max(...c.outShape) * zoom * Math.sqrt(3) / 2 + 2;
  const table: number[] = [];
  const samples: ResampleSample[] = [];
  for (let b = 0; b < c.batch; b++) {
    const center = vol.volume.map((n) => {
      const room = Math.max(0, n / 2 - half);
      return n / 2 + (rand() * 2 - 1) * room;
    }) as Vec3;
    const st = t.forSample(center, randomAugment(rand));
    if (!st.box) throw new RangeError("kernel sample misses the volume");
    const g = chunksInBox(st.box, vol.chunk);
    const offset = table.length;
    for (const [z, y, x] of g.coords) table.push((z * grid[1] + y) * grid[2] + x);
    samples.push({ matrix: st.localMatrix, origin: st.box.lo, chunkLo: g.lo, chunkDims: g.dims, tableOffset: offset });
  }
  return { samples, table: Uint32Array.from(table) };
}

/**
 * Time one kernel case: `perSubmit` dispatches per command buffer, `warmup` untimed submits then
 * `repeats` timed ones.
 */
export async function timeKernel(
  ctx: GpuContext,
  vol: ResidentVolume,
  c: KernelCase,
  options: { warmup?: number; repeats?: number; perSubmit?: number } = {},
): Promise<KernelResult> {
  const device = ctx.device;
  const { samples, table } = kernelSamples(vol, c);
  const per = c.outShape[0] * c.outShape[1] * c.outShape[2];
  const voxels = per * c.batch;
  const out = device.createBuffer({ label: "bench kernel output", size: voxels * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const params = {
    outShape: c.outShape,
    batch: c.batch,
    chunkShape: vol.chunk,
    kind: "u8" as const,
    volShape: vol.volume,
    interp: c.interp,
    pad: 0,
    fill: 0,
    slotWords: vol.slotWords,
  };
  // the pipeline the library uses for this dispatch (specialized for its interpolation and kind)
  const pipeline = await getResamplePipeline(ctx, resampleVariant(params, samples));
  const perSubmit = options.perSubmit ?? 4;
  const timestamps = device.features.has("timestamp-query");
  const querySet = timestamps ? device.createQuerySet({ type: "timestamp", count: 2 }) : undefined;
  const resolve = timestamps ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : undefined;
  const times: number[] = [];
  try {
    const warmup = options.warmup ?? 2;
    const repeats = options.repeats ?? 7;
    for (let i = 0; i < warmup + repeats; i++) {
      const encoder = device.createCommandEncoder({ label: "bench kernel" });
      const made = [];
      for (let k = 0; k < perSubmit; k++) {
        // empty passes carry the timestamps, so the dispatches are timed as recorded by the library
        if (querySet && k === 0) encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0 } }).end();
        made.push(recordResample(ctx, pipeline, encoder, { cache: vol.cache, params, samples, table, out }));
      }
      if (querySet && resolve) {
        encoder.beginComputePass({ timestampWrites: { querySet, endOfPassWriteIndex: 1 } }).end();
        encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      }
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await ctx.track(device.queue.onSubmittedWorkDone());
      const wall = performance.now() - t0;
      for (const m of made) m.release();
      let ms = wall / perSubmit;
      if (resolve) {
        const ns = new BigUint64Array(await ctx.readBuffer(resolve, 0, 16));
        const gpuMs = Number(ns[1]! - ns[0]!) / 1e6;
        if (gpuMs > 0) ms = gpuMs / perSubmit;
      }
      if (i >= warmup) times.push(ms);
    }
  } finally {
    out.destroy();
    querySet?.destroy();
    resolve?.destroy();
  }
  const zoom = c.zoom ?? 1;
  const srcPerOut = Math.min(8, zoom ** 3);
  return { ms: summarize(times), clock: resolve ? "timestamp-query" : "wall", voxels, floorBytes: voxels * (4 + srcPerOut) };
}

/**
 * Device-memory bandwidth from a large buffer copy: bytes of traffic (read + write) per second.
 */
export async function copyBandwidth(ctx: GpuContext, bytes: number, options: { warmup?: number; repeats?: number; perSubmit?: number } = {}): Promise<{ trafficBytesPerSecond: Stat; bytes: number }> {
  const device = ctx.device;
  const size = Math.floor(Math.min(bytes, ctx.limits.maxBufferSize) / 4) * 4;
  const a = device.createBuffer({ label: "bench copy src", size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const b = device.createBuffer({ label: "bench copy dst", size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const perSubmit = options.perSubmit ?? 4;
  const rates: number[] = [];
  try {
    const warmup = options.warmup ?? 2;
    const repeats = options.repeats ?? 7;
    for (let i = 0; i < warmup + repeats; i++) {
      const encoder = device.createCommandEncoder({ label: "bench copy" });
      for (let k = 0; k < perSubmit; k++) encoder.copyBufferToBuffer(k % 2 ? b : a, 0, k % 2 ? a : b, 0, size);
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await ctx.track(device.queue.onSubmittedWorkDone());
      const s = (performance.now() - t0) / 1000;
      if (i >= warmup) rates.push((2 * size * perSubmit) / s);
    }
  } finally {
    a.destroy();
    b.destroy();
  }
  return { trafficBytesPerSecond: summarize(rates), bytes: size };
}
