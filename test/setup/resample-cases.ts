// Resample test bodies shared by the Node (vitest), Chromium (vitest browser mode) and Deno suites.
// Plain functions that throw on failure. None of them skips: without a GPU adapter
// GpuContext.create() throws and the test fails.
//
// The GPU shader is compared with its CPU twin (src/kernels/resample/twin.ts) on seeded random
// volumes, chunkings, storage kinds, affines and slot tables; one case checks exact source voxels
// against a hand-built volume without the twin.

import { rngFor } from "../../src/augment/rng.ts";
import { GpuContext } from "../../src/gpu/context.ts";
import {
  ABSENT_SLOT,
  type ResampleParams,
  type ResampleSample,
  resampleVariant,
  type Vec3,
} from "../../src/kernels/resample/contract.ts";
import { dispatchResample, recordResample, type ResampleDispatch } from "../../src/kernels/resample/gpu.ts";
import { getResamplePipeline } from "../../src/kernels/resample/gpu-pipeline.ts";
import { resampleGrid } from "../../src/kernels/resample/gpu-encode.ts";
import { resampleReference } from "../../src/kernels/resample/twin.ts";
import {
  type ChunkData,
  packChunk,
  readPacked,
  slotWords,
  STORAGE_KINDS,
  type StorageKind,
  storageKindForDtype,
} from "../../src/kernels/chunks/contract.ts";
import { ArgumentError, isCellMapError, ValueRangeError } from "../../src/errors.ts";
import { check } from "./assert.ts";
import type { Cases } from "./cases.ts";

const KINDS = Object.keys(STORAGE_KINDS) as StorageKind[];

function throws(work: () => unknown, what: string): unknown {
  try {
    work();
  } catch (e) {
    return e;
  }
  throw new Error(`${what} should have failed`);
}

/** Seeded random numbers in [0, 1) from the library's counter-based generator. */
function rng(seed: number): () => number {
  const r = rngFor(seed, "test");
  return () => r.next();
}

const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

// ---------------------------------------------------------------------------------------------
// A volume in a chunk cache

/** A level split into chunks and packed into cache slots in shuffled order, some chunks absent. */
interface CachedVolume {
  kind: StorageKind;
  vol: Vec3;
  chunkShape: Vec3;
  grid: Vec3;
  slotWords: number;
  /** Cache words, with spare garbage slots. */
  words: Uint32Array<ArrayBuffer>;
  /** Slot of each chunk (C-order over the chunk grid), ABSENT_SLOT when absent. */
  slots: Uint32Array;
  /** Smallest and largest stored value inside the volume. */
  min: number;
  max: number;
}

/** A value of `kind` that f32 holds exactly (so integer kinds compare exactly). */
function randomValue(r: () => number, kind: StorageKind): number {
  const { min, max } = STORAGE_KINDS[kind];
  switch (kind) {
    // Large magnitudes too (multiples of 256 below 2^32 are exact in f32), and the sign bit.
    case "u32":
      return r() < 0.5 ? int(r, 0, 2000) : int(r, 0, 0xffffff) * 256;
    case "i32":
      return r() < 0.5 ? int(r, -1000, 1000) : int(r, -0x800000, 0x7fffff) * 256;
    case "f32":
      return Math.fround((r() - 0.5) * 2000);
    default:
      return int(r, min, max);
  }
}

function typedFor(kind: StorageKind, n: number): Exclude<ChunkData, BigInt64Array | BigUint64Array | { get(i: number): boolean }> {
  switch (kind) {
    case "u8":
      return new Uint8Array(n);
    case "i8":
      return new Int8Array(n);
    case "u16":
      return new Uint16Array(n);
    case "i16":
      return new Int16Array(n);
    case "u32":
      return new Uint32Array(n);
    case "i32":
      return new Int32Array(n);
    case "f32":
      return new Float32Array(n);
  }
}

function cachedVolume(
  r: () => number,
  kind: StorageKind,
  vol: Vec3,
  chunkShape: Vec3,
  value: (z: number, y: number, x: number) => number,
  absentFraction: number,
): CachedVolume {
  const grid: Vec3 = [0, 1, 2].map((a) => Math.ceil(vol[a]! / chunkShape[a]!)) as unknown as Vec3;
  const chunks = grid[0] * grid[1] * grid[2];
  const words1 = slotWords(chunkShape, kind);
  const spare = 2;
  const order = Array.from({ length: chunks + spare }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const k = int(r, 0, i);
    [order[i], order[k]] = [order[k]!, order[i]!];
  }
  const words = new Uint32Array((chunks + spare) * words1);
  for (let i = 0; i < words.length; i++) words[i] = (r() * 0x100000000) >>> 0; // garbage
  const slots = new Uint32Array(chunks);
  const [cz, cy, cx] = chunkShape;
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < chunks; c++) {
    const gz = Math.floor(c / (grid[1] * grid[2]));
    const gy = Math.floor(c / grid[2]) % grid[1];
    const gx = c % grid[2];
    if (r() < absentFraction) {
      slots[c] = ABSENT_SLOT;
      continue;
    }
    const data = typedFor(kind, cz * cy * cx);
    for (let z = 0, e = 0; z < cz; z++) {
      for (let y = 0; y < cy; y++) {
        for (let x = 0; x < cx; x++, e++) {
          const [vz, vy, vx] = [gz * cz + z, gy * cy + y, gx * cx + x];
          // Edge chunks are stored full size; past the volume they hold garbage nobody may read.
          const inside = vz < vol[0] && vy < vol[1] && vx < vol[2];
          const v = inside ? value(vz, vy, vx) : randomValue(r, kind);
          data[e] = v;
          if (inside) {
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
        }
      }
    }
    const slot = order[c]!;
    slots[c] = slot;
    words.set(packChunk(data, kind, `c/${gz}/${gy}/${gx}`), slot * words1);
  }
  return { kind, vol, chunkShape, grid, slotWords: words1, words, slots, min, max };
}

/**
 * A sample whose source box is covered by its table: chunk slots copied from the volume, at
 * `tableOffset` in `table` (which grows, with garbage words in between).
 */
function sampleFor(
  r: () => number,
  cv: CachedVolume,
  matrixAbs: Float64Array,
  outShape: Vec3,
  table: number[],
): ResampleSample {
  // Source-box of the output: the 8 output corners, since the map is affine.
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < 8; k++) {
    const j = [k & 4 ? outShape[0] - 1 : 0, k & 2 ? outShape[1] - 1 : 0, k & 1 ? outShape[2] - 1 : 0];
    for (let a = 0; a < 3; a++) {
      const r = 4 * a;
      const v = matrixAbs[r]! * j[0]! + matrixAbs[r + 1]! * j[1]! + matrixAbs[r + 2]! * j[2]! + matrixAbs[r + 3]!;
      lo[a] = Math.min(lo[a]!, v);
      hi[a] = Math.max(hi[a]!, v);
    }
  }
  const origin = lo.map((v) => Math.floor(v)) as unknown as Vec3;
  const matrix = Float64Array.from(matrixAbs);
  for (let a = 0; a < 3; a++) matrix[4 * a + 3]! -= origin[a]!;
  const chunkLo = [0, 0, 0];
  const chunkDims = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const n = cv.vol[a]!;
    const first = Math.max(0, Math.floor(lo[a]!) - 1);
    const last = Math.min(n - 1, Math.ceil(hi[a]!) + 1);
    const c = cv.chunkShape[a]!;
    chunkLo[a] = Math.floor(Math.min(first, n - 1) / c);
    chunkDims[a] = last < first ? 0 : Math.floor(last / c) - chunkLo[a]! + 1;
  }
  for (let i = int(r, 0, 3); i > 0; i--) table.push(0xdeadbeef); // gap between tables
  const tableOffset = table.length;
  for (let z = 0; z < chunkDims[0]!; z++) {
    for (let y = 0; y < chunkDims[1]!; y++) {
      for (let x = 0; x < chunkDims[2]!; x++) {
        const g = ((chunkLo[0]! + z) * cv.grid[1] + chunkLo[1]! + y) * cv.grid[2] + chunkLo[2]! + x;
        table.push(cv.slots[g]!);
      }
    }
  }
  return { matrix, origin, chunkLo: chunkLo as unknown as Vec3, chunkDims: chunkDims as unknown as Vec3, tableOffset };
}

/** A random absolute affine (output index -> source voxel): rotation, scale, mirror about a center. */
function randomAffine(r: () => number, outShape: Vec3, center: Vec3): Float64Array {
  // Random unit quaternion -> rotation.
  let [w, x, y, z] = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const len = Math.hypot(w, x, y, z) || 1;
  [w, x, y, z] = [w / len, x / len, y / len, z / len];
  const rot = r() < 0.25
    ? [1, 0, 0, 0, 1, 0, 0, 0, 1]
    : [
      1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
      2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
      2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ];
  const scale = [0, 1, 2].map(() => (0.4 + r() * 1.6) * (r() < 0.2 ? -1 : 1));
  const m = new Float64Array(12);
  for (let a = 0; a < 3; a++) {
    let t = center[a]!;
    for (let k = 0; k < 3; k++) {
      const e = rot[3 * a + k]! * scale[k]!;
      m[4 * a + k] = e;
      t -= e * (outShape[k]! - 1) / 2;
    }
    m[4 * a + 3] = t;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Running and comparing

interface Case {
  params: ResampleParams;
  samples: ResampleSample[];
  table: Uint32Array;
  words: Uint32Array<ArrayBuffer>;
}

/**
 * Run one dispatch on the GPU and read the output back: through `dispatchResample` (the pipeline
 * specialized for the dispatch), or through `recordResample` on a given pipeline.
 */
async function runGpu(ctx: GpuContext, c: Case, outOffset = 0, pipeline?: GPUComputePipeline): Promise<{ out: Float32Array; dispatch: ResampleDispatch; before: Float32Array }> {
  const device = ctx.device;
  const cache = device.createBuffer({
    label: "test resample cache",
    size: Math.max(16, c.words.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  const bytes = c.params.batch * c.params.outShape[0] * c.params.outShape[1] * c.params.outShape[2] * 4;
  const out = device.createBuffer({
    label: "test resample out",
    size: outOffset + bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(cache, 0, c.words);
    if (outOffset > 0) device.queue.writeBuffer(out, 0, new Float32Array(outOffset / 4).fill(-7));
    const encoder = device.createCommandEncoder({ label: "test resample" });
    const options = { cache, params: c.params, samples: c.samples, table: c.table, out, outOffset };
    const dispatch = pipeline ? recordResample(ctx, pipeline, encoder, options) : await dispatchResample(ctx, encoder, options);
    device.queue.submit([encoder.finish()]);
    dispatch.release();
    const all = new Float32Array(await ctx.readBuffer(out, 0, out.size));
    return { out: all.subarray(outOffset / 4), before: all.subarray(0, outOffset / 4), dispatch };
  } finally {
    cache.destroy();
    out.destroy();
  }
}

/** Distance of x to the nearest value of the form k + offset (k an integer). */
const distTo = (x: number, offset: number): number => {
  const d = x - offset - Math.floor(x - offset);
  return Math.min(d, 1 - d);
};

/**
 * Compare GPU and CPU outputs. Skips voxels whose float64 source coordinate lies within 1e-4 of a
 * decision boundary the f32 GPU may take differently: the volume border (linear), the .5 ties
 * (nearest, which include its border), and integers when a NaN fill can enter through a corner.
 * @returns the number of voxels compared
 */
function compare(label: string, c: Case, gpu: Float32Array, cpu: Float32Array, valueRange: number): number {
  check(gpu.length === cpu.length, `${label}: ${gpu.length} GPU values, ${cpu.length} CPU`);
  const [nz, ny, nx] = c.params.outShape;
  const vol = c.params.volShape;
  const linear = c.params.interp === "linear";
  const nanFill = Number.isNaN(c.params.fill);
  const tol = 1e-4 * Math.max(1, valueRange);
  const eps = 1e-4;
  let compared = 0;
  let o = 0;
  for (let b = 0; b < c.params.batch; b++) {
    const s = c.samples[b]!;
    const m = s.matrix;
    for (let jz = 0; jz < nz; jz++) {
      for (let jy = 0; jy < ny; jy++) {
        for (let jx = 0; jx < nx; jx++, o++) {
          let skip = false;
          for (let a = 0; a < 3 && !skip; a++) {
            const v = s.origin[a]! + m[4 * a]! * jz + m[4 * a + 1]! * jy + m[4 * a + 2]! * jx + m[4 * a + 3]!;
            if (linear) {
              skip = Math.abs(v) < eps || Math.abs(v - (vol[a]! - 1)) < eps || (nanFill && distTo(v, 0) < eps);
            } else {
              skip = distTo(v, 0.5) < eps;
            }
          }
          if (skip) continue;
          const g = gpu[o]!;
          const e = cpu[o]!;
          const ok = Number.isNaN(e) ? Number.isNaN(g) : linear ? Math.abs(g - e) <= tol : g === e;
          if (!ok) {
            throw new Error(
              `${label}: sample ${b} voxel [${jz}, ${jy}, ${jx}]: GPU ${g}, CPU twin ${e} ` +
                `(${c.params.interp}, kind ${c.params.kind}, chunk ${c.params.chunkShape.join("x")}, tolerance ${linear ? tol : 0})`,
            );
          }
          compared++;
        }
      }
    }
  }
  return compared;
}

async function withContext<T>(label: string, body: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await GpuContext.create({ label });
  try {
    return await body(ctx);
  } finally {
    ctx.destroy();
  }
}

/** A random case: volume, chunking and kind given, 1..3 samples with random affines. */
function randomCase(
  r: () => number,
  kind: StorageKind,
  interp: "linear" | "nearest",
  options: { vol: Vec3; chunkShape: Vec3; outShape: Vec3; batch: number; pad: number; fill: number; absent: number },
): { c: Case; range: number } {
  const { vol, chunkShape, outShape, batch } = options;
  const cv = cachedVolume(r, kind, vol, chunkShape, () => randomValue(r, kind), options.absent);
  const table: number[] = [];
  const samples: ResampleSample[] = [];
  for (let b = 0; b < batch; b++) {
    // Centers mostly inside, some near or past the border so part of the output pads.
    const center = vol.map((n) => (r() * 1.3 - 0.15) * n) as unknown as Vec3;
    samples.push(sampleFor(r, cv, randomAffine(r, outShape, center), outShape, table));
  }
  table.push(0xdeadbeef);
  const params: ResampleParams = {
    outShape,
    batch,
    chunkShape,
    kind,
    volShape: vol,
    interp,
    pad: options.pad,
    fill: options.fill,
    slotWords: cv.slotWords,
  };
  const lo = Number.isFinite(options.fill) ? Math.min(cv.min, options.fill) : cv.min;
  const hi = Number.isFinite(options.fill) ? Math.max(cv.max, options.fill) : cv.max;
  return { c: { params, samples, table: Uint32Array.from(table), words: cv.words }, range: hi - lo };
}

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * Independent of the twin: an identity matrix with integer offsets copies source voxels exactly,
 * pads outside the volume and reads absent chunks as the fill value (hand-built i16 volume with
 * negative values, chunks [3, 5, 7]).
 */
export async function identityCopiesVoxels(): Promise<void> {
  const vol: Vec3 = [7, 9, 16];
  const chunkShape: Vec3 = [3, 5, 7];
  const value = (z: number, y: number, x: number) => z * 100 + y * 10 + x - 350;
  const r = rng(1);
  const cv = cachedVolume(r, "i16", vol, chunkShape, value, 0);
  // Make chunk (1, 0, 2) absent: voxels z 3..5, y 0..4, x 14..15 read as the fill value.
  const absent = (1 * cv.grid[1] + 0) * cv.grid[2] + 2;
  cv.slots[absent] = ABSENT_SLOT;
  const outShape: Vec3 = [6, 8, 12];
  const offsets: Vec3[] = [[1, 2, 5], [-2, 3, 7]];
  await withContext("test resample identity", async (ctx) => {
    for (const interp of ["linear", "nearest"] as const) {
      const table: number[] = [];
      const samples = offsets.map((t) => {
        const m = new Float64Array([1, 0, 0, t[0], 0, 1, 0, t[1], 0, 0, 1, t[2]]);
        return sampleFor(r, cv, m, outShape, table);
      });
      const params: ResampleParams = {
        outShape, batch: 2, chunkShape, kind: "i16", volShape: vol, interp, pad: -9999, fill: 4242, slotWords: cv.slotWords,
      };
      const { out } = await runGpu(ctx, { params, samples, table: Uint32Array.from(table), words: cv.words });
      let o = 0;
      let inside = 0;
      let filled = 0;
      for (const t of offsets) {
        for (let jz = 0; jz < outShape[0]; jz++) {
          for (let jy = 0; jy < outShape[1]; jy++) {
            for (let jx = 0; jx < outShape[2]; jx++, o++) {
              const [z, y, x] = [jz + t[0], jy + t[1], jx + t[2]];
              let expected: number;
              if (z < 0 || y < 0 || x < 0 || z >= vol[0] || y >= vol[1] || x >= vol[2]) expected = -9999;
              else if (z >= 3 && z < 6 && y < 5 && x >= 14) (expected = 4242), filled++;
              else (expected = value(z, y, x)), inside++;
              check(out[o] === expected, `${interp}: offset ${t} voxel [${jz}, ${jy}, ${jx}] is ${out[o]}, expected ${expected}`);
            }
          }
        }
      }
      check(inside > 500 && filled > 10, `weak case: ${inside} inside, ${filled} filled`);
    }
  });
}

/** Every storage kind, linear and nearest, pad 0 and NaN, random chunkings and rotations. */
export async function matchesTwinAllKinds(): Promise<string> {
  const chunkShapes: Vec3[] = [[3, 5, 7], [4, 4, 4], [2, 3, 9], [8, 1, 5], [5, 6, 2], [7, 3, 3], [1, 8, 8]];
  let compared = 0;
  let total = 0;
  let nanPads = 0;
  await withContext("test resample kinds", async (ctx) => {
    let seed = 100;
    for (const kind of KINDS) {
      for (const interp of ["linear", "nearest"] as const) {
        for (const nanPad of [false, true]) {
          const r = rng(++seed);
          const chunkShape = chunkShapes[int(r, 0, chunkShapes.length - 1)]!;
          const vol: Vec3 = [int(r, 5, 20), int(r, 5, 20), int(r, 5, 20)];
          const outShape: Vec3 = [int(r, 3, 12), int(r, 3, 12), int(r, 3, 12)];
          const fill = r() < 0.3 ? NaN : randomValue(r, kind);
          const { c, range } = randomCase(r, kind, interp, {
            vol, chunkShape, outShape, batch: int(r, 1, 3), pad: nanPad ? NaN : 0, fill, absent: 0.15,
          });
          const { out } = await runGpu(ctx, c);
          const cpu = resampleReference(c.params, c.samples, c.table, c.words);
          compared += compare(`seed ${seed}`, c, out, cpu, range);
          total += cpu.length;
          if (nanPad) nanPads += cpu.filter(Number.isNaN).length;
        }
      }
    }
  });
  check(compared > 0.95 * total, `only ${compared} of ${total} voxels compared`);
  check(nanPads > 100, `only ${nanPads} voxels were NaN pad or fill`);
  return `${compared} of ${total} voxels compared`;
}

/**
 * Many chunk boundaries: tiny chunks, outputs spanning dozens of them, a batch of 4 samples with
 * different rotations, and a spot check that the samples differ from each other.
 */
export async function matchesTwinAcrossChunks(): Promise<void> {
  await withContext("test resample chunks", async (ctx) => {
    for (const [seed, kind, interp] of [[7, "f32", "linear"], [8, "i8", "nearest"], [9, "u16", "linear"]] as const) {
      const r = rng(seed);
      const { c, range } = randomCase(r, kind, interp, {
        vol: [24, 30, 27], chunkShape: [2, 3, 4], outShape: [14, 16, 18], batch: 4, pad: 0, fill: NaN, absent: 0.1,
      });
      const crossed = c.samples.map((s) => s.chunkDims[0] * s.chunkDims[1] * s.chunkDims[2]);
      check(crossed.some((n) => n >= 100), `seed ${seed}: tables span only ${crossed.join(", ")} chunks`);
      const { out } = await runGpu(ctx, c);
      const cpu = resampleReference(c.params, c.samples, c.table, c.words);
      compare(`seed ${seed}`, c, out, cpu, range);
      const per = out.length / 4;
      check(out.subarray(0, per).some((v, i) => v !== out[per + i]), `seed ${seed}: samples 0 and 1 are identical`);
    }
  });
}

/**
 * More than 65535 workgroups: batch 8 of 60x90x98 (4.23 M voxels) needs the 2D dispatch; the
 * output lands at a 256-byte offset without touching the bytes before it.
 */
export function largeOutputUses2dDispatch(): Promise<string> {
  const r = rng(2024);
  const { c, range } = randomCase(r, "u8", "linear", {
    vol: [70, 80, 90], chunkShape: [16, 16, 16], outShape: [60, 90, 98], batch: 8, pad: 0, fill: 17, absent: 0.05,
  });
  const total = 8 * 60 * 90 * 98;
  return withContext("test resample large", async (ctx) => {
    const t0 = performance.now();
    const offset = ctx.limits.minStorageBufferOffsetAlignment;
    const { out, dispatch, before } = await runGpu(ctx, c, offset);
    const gpuMs = performance.now() - t0;
    check(dispatch.grid.y > 1, `expected a 2D dispatch, got ${dispatch.grid.x} x ${dispatch.grid.y}`);
    check(dispatch.grid.x * dispatch.grid.y * 64 >= total, "dispatch covers too few threads");
    check(before.every((v) => v === -7), "the bytes before outOffset were overwritten");
    const t1 = performance.now();
    const cpu = resampleReference(c.params, c.samples, c.table, c.words);
    const cpuMs = performance.now() - t1;
    compare("large", c, out, cpu, range);
    return `${total} voxels, grid ${dispatch.grid.x} x ${dispatch.grid.y}: GPU ${gpuMs.toFixed(0)} ms, CPU twin ${cpuMs.toFixed(0)} ms`;
  });
}

/** Bad dispatch inputs raise ArgumentError before anything reaches the GPU. */
export async function badInputsAreRejected(): Promise<void> {
  const r = rng(5);
  const { c } = randomCase(r, "u8", "nearest", {
    vol: [8, 8, 8], chunkShape: [4, 4, 4], outShape: [4, 4, 4], batch: 2, pad: 0, fill: 0, absent: 0,
  });
  await withContext("test resample errors", async (ctx) => {
    const attempts: [string, Case, number][] = [
      ["params.batch", { ...c, params: { ...c.params, batch: 3 } }, 0],
      ["samples[1].tableOffset", { ...c, table: c.table.subarray(0, c.samples[1]!.tableOffset + 1) }, 0],
      ["outOffset", c, 4],
    ];
    for (const [field, bad, offset] of attempts) {
      let err: unknown;
      try {
        await runGpu(ctx, bad, offset);
      } catch (e) {
        err = e;
      }
      check(isCellMapError(err, "argument") && err.message.startsWith(field), `${field}: got ${String(err)}`);
    }
  });
}

/** CPU only: dtype mapping, packing (rounding, range checks, bool) and reading back. */
export function packingFollowsTheLayout(): void {
  const dtypes: Record<string, StorageKind> = {
    uint8: "u8", bool: "u8", int8: "i8", uint16: "u16", int16: "i16", uint32: "u32", uint64: "u32",
    int32: "i32", int64: "i32", float32: "f32", float64: "f32",
  };
  for (const [dtype, kind] of Object.entries(dtypes)) check(storageKindForDtype(dtype) === kind, `${dtype} -> ${storageKindForDtype(dtype)}`);
  check(isCellMapError(throws(() => storageKindForDtype("complex64"), "complex64"), "argument"), "complex64 must be rejected");
  check(slotWords([3, 5, 7], "u8") === 27 && slotWords([3, 5, 7], "i16") === 53 && slotWords([3, 5, 7], "f32") === 105, "slotWords");

  // Little-endian bytes and halves within a word, sign extension on read.
  const i8 = packChunk(Int8Array.from([-1, 2, -128, 127, 5]), "i8");
  check(i8.length === 2 && i8[0] === 0x7f8002ff && i8[1] === 5, `i8 words ${Array.from(i8, (w) => w.toString(16))}`);
  check([0, 1, 2, 3, 4].map((e) => readPacked(i8, "i8", e)).join() === "-1,2,-128,127,5", "i8 read back");
  const i16 = packChunk(Int16Array.from([-2, 300, -32768]), "i16");
  check(i16[0] === 0x012cfffe && i16[1] === 0x8000, `i16 words ${Array.from(i16, (w) => w.toString(16))}`);
  check([0, 1, 2].map((e) => readPacked(i16, "i16", e)).join() === "-2,300,-32768", "i16 read back");
  check(readPacked(packChunk(Uint16Array.from([1, 65535]), "u16"), "u16", 1) === 65535, "u16 read back");
  check(readPacked(packChunk(Uint32Array.from([4294967295]), "u32"), "u32", 0) === 4294967295, "u32 read back");
  check(readPacked(packChunk(Int32Array.from([-5]), "i32"), "i32", 0) === -5, "i32 read back");
  // A slot offset.
  check(readPacked(Uint32Array.from([9, 9, 0x0000ff00]), "u8", 1, 2) === 255, "readPacked with a word offset");

  // float64 rounds to float32.
  const f = packChunk(Float64Array.from([0.1, -1e300, 2.5]), "f32");
  check(readPacked(f, "f32", 0) === Math.fround(0.1) && readPacked(f, "f32", 1) === -Infinity && readPacked(f, "f32", 2) === 2.5, "float64 -> f32");

  // 64-bit integers that fit; ones that do not name the chunk.
  const big = packChunk(BigInt64Array.from([-3n, 2147483647n]), "i32", "c/0/1/2", "http://x/raw/s0");
  check(readPacked(big, "i32", 0) === -3 && readPacked(big, "i32", 1) === 2147483647, "int64 -> i32");
  const ubig = packChunk(BigUint64Array.from([4294967295n]), "u32");
  check(readPacked(ubig, "u32", 0) === 4294967295, "uint64 -> u32");
  const tooBig = throws(() => packChunk(BigUint64Array.from([1n, 4294967296n]), "u32", "c/0/1/2", "http://x/labels/s0"), "uint64 2^32");
  check(tooBig instanceof ValueRangeError && tooBig.key === "c/0/1/2" && tooBig.url === "http://x/labels/s0", `got ${String(tooBig)}`);
  check(tooBig.message.includes("c/0/1/2") && tooBig.message.includes("4294967296"), tooBig.message);
  check(throws(() => packChunk(BigInt64Array.from([-2147483649n]), "i32"), "int64 below -2^31") instanceof ValueRangeError, "int64 range");
  check(throws(() => packChunk(Uint16Array.from([256]), "u8"), "u16 into u8") instanceof ValueRangeError, "u16 into u8 range");
  check(readPacked(packChunk(Uint16Array.from([7, 40000]), "i32"), "i32", 1) === 40000, "u16 widened to i32");

  // bool (zarrita's BoolArray: one byte per element) -> u8 0/1.
  const bytes = Uint8Array.from([0, 1, 3, 0, 1]);
  const bools = { buffer: bytes.buffer, byteOffset: 0, length: 5, get: (i: number) => bytes[i] !== 0 };
  const b = packChunk(bools, "u8");
  check([0, 1, 2, 3, 4].map((e) => readPacked(b, "u8", e)).join() === "0,1,1,0,1", "bool -> u8");
}

/** The dispatch geometry: one row while it fits, equal rows beyond. */
export function gridCoversTheOutput(): void {
  const one = resampleGrid(1000);
  check(one.x === 16 && one.y === 1 && one.rowWidth === 1024, `1000 voxels: ${JSON.stringify(one)}`);
  const edge = resampleGrid(65535 * 64);
  check(edge.y === 1, `65535*64 voxels: ${JSON.stringify(edge)}`);
  const two = resampleGrid(65535 * 64 + 1);
  check(two.y === 2 && two.x === 32768 && two.rowWidth === 32768 * 64, `65535*64+1 voxels: ${JSON.stringify(two)}`);
  const small = resampleGrid(10_000, 16);
  check(small.x * small.y * 64 >= 10_000 && small.x <= 16 && small.y <= 16, `limit 16: ${JSON.stringify(small)}`);
}

/** A random displacement field of a few control points per axis, up to `magnitude` output voxels. */
function randomDisplacement(r: () => number, outShape: Vec3, magnitude: number): NonNullable<ResampleSample["displacement"]> {
  const dims = [int(r, 1, 4), int(r, 1, 4), int(r, 1, 4)] as unknown as Vec3;
  const step = dims.map((d, a) => (d > 1 ? (d - 1) / Math.max(1, outShape[a]! - 1) : 0)) as unknown as Vec3;
  const values = Array.from({ length: 3 * dims[0] * dims[1] * dims[2] }, () => (r() * 2 - 1) * magnitude);
  return { dims, step, start: [r() * 0.5, r() * 0.5, r() * 0.5], values };
}

/** Bitwise equality of two outputs (NaN equals NaN, 0 differs from -0). */
function sameBits(label: string, a: Float32Array, b: Float32Array): void {
  check(a.length === b.length, `${label}: ${a.length} values against ${b.length}`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    const nan = Number.isNaN(a[i]!) && Number.isNaN(b[i]!);
    if (!nan && ua[i] !== ub[i]) throw new Error(`${label}: value ${i} is ${a[i]} (specialized), ${b[i]} (generic)`);
  }
}

/**
 * The pipelines specialized per dispatch (interpolation, storage kind, with or without
 * displacement) give the same bits as the generic pipeline, which reads all of that from its
 * uniform, for every kind, both interpolations, with and without a displacement field; and the
 * specialized output still matches the CPU twin.
 */
export async function specializedMatchesGeneric(): Promise<string> {
  let values = 0;
  let pipelines = 0;
  await withContext("test resample variants", async (ctx) => {
    const generic = await getResamplePipeline(ctx);
    let seed = 500;
    for (const kind of KINDS) {
      for (const interp of ["linear", "nearest"] as const) {
        for (const deform of [false, true]) {
          const r = rng(++seed);
          const { c, range } = randomCase(r, kind, interp, {
            vol: [int(r, 6, 14), int(r, 6, 14), int(r, 6, 14)], chunkShape: [4, 3, 5], outShape: [int(r, 3, 9), int(r, 3, 9), int(r, 3, 9)],
            batch: int(r, 1, 3), pad: r() < 0.5 ? NaN : 0, fill: randomValue(r, kind), absent: 0.15,
          });
          const samples = deform ? c.samples.map((s) => ({ ...s, displacement: randomDisplacement(r, c.params.outShape, 1.5) })) : c.samples;
          const dc = { ...c, samples };
          const variant = resampleVariant(dc.params, dc.samples);
          check(variant.interp === interp && variant.kind === kind && variant.deform === deform, `variant ${JSON.stringify(variant)}`);
          const special = await getResamplePipeline(ctx, variant);
          check(special !== generic && special === (await getResamplePipeline(ctx, variant)), "one pipeline per variant and device");
          pipelines++;
          const a = (await runGpu(ctx, dc)).out;
          const b = (await runGpu(ctx, dc, 0, generic)).out;
          sameBits(`${kind} ${interp}${deform ? " deformed" : ""} (seed ${seed})`, a, b);
          if (!deform) compare(`seed ${seed}`, dc, a, resampleReference(dc.params, dc.samples, dc.table, dc.words), range);
          values += a.length;
        }
      }
    }
  });
  check(values > 1000, `only ${values} values compared`);
  return `${values} values from ${pipelines} specialized pipelines equal the generic pipeline's`;
}

/**
 * Dispatches whose samples are all signed axis permutations with integer offsets (identity,
 * mirrors, transposes, 90° rotations) get a `copy` pipeline, which reads one voxel per output
 * voxel; its bits are the generic pipeline's for every kind and both interpolations, boxes over
 * chunk and volume borders, absent chunks. Linear f32 dispatches (a NaN neighbour would show) and
 * matrices 1e-9 off a permutation keep the other pipelines; a copy pipeline refuses other dispatches.
 */
export async function copyPipelineMatchesGeneric(): Promise<string> {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const;
  let values = 0;
  let copies = 0;
  await withContext("test resample copy", async (ctx) => {
    const generic = await getResamplePipeline(ctx);
    let seed = 900;
    for (const kind of KINDS) {
      for (const interp of ["linear", "nearest"] as const) {
        const r = rng(++seed);
        const vol: Vec3 = [int(r, 6, 14), int(r, 6, 14), int(r, 6, 14)];
        const cv = cachedVolume(r, kind, vol, [4, 3, 5], () => randomValue(r, kind), 0.15);
        const outShape: Vec3 = [int(r, 3, 9), int(r, 3, 9), int(r, 3, 9)];
        const table: number[] = [];
        const samples = Array.from({ length: int(r, 1, 4) }, () => {
          const from = perms[int(r, 0, 5)]!;
          const m = new Float64Array(12);
          for (let a = 0; a < 3; a++) {
            const sign = r() < 0.5 ? -1 : 1;
            m[4 * a + from[a]!] = sign;
            // The first voxel mostly inside, sometimes so that the box hangs over a border.
            m[4 * a + 3] = int(r, -3, vol[a]! + 2);
          }
          return sampleFor(r, cv, m, outShape, table);
        });
        table.push(0xdeadbeef);
        const fill = kind === "f32" ? 0.5 : randomValue(r, kind);
        const params: ResampleParams = { outShape, batch: samples.length, chunkShape: [4, 3, 5], kind, volShape: vol, interp, pad: r() < 0.5 ? NaN : -3, fill, slotWords: cv.slotWords };
        const c: Case = { params, samples, table: Uint32Array.from(table), words: cv.words };
        const variant = resampleVariant(params, samples);
        const copy = !(kind === "f32" && interp === "linear");
        check((variant.copy === true) === copy, `${kind} ${interp}: variant ${JSON.stringify(variant)}`);
        const special = await getResamplePipeline(ctx, variant);
        const a = (await runGpu(ctx, c, 0, special)).out;
        const b = (await runGpu(ctx, c, 0, generic)).out;
        sameBits(`${kind} ${interp} copy (seed ${seed})`, a, b);
        const lo = Math.min(cv.min, fill), hi = Math.max(cv.max, fill);
        compare(`${kind} ${interp} copy (seed ${seed})`, c, a, resampleReference(params, samples, c.table, c.words), hi - lo);
        values += a.length;
        if (copy) copies++;
        if (kind !== "u8" || interp !== "linear") continue;
        // 1e-9 off: not a copy; and the copy pipeline refuses the dispatch.
        const near = samples.map((s) => ({ ...s, matrix: s.matrix.map((v, i) => (i === 7 ? v + 1e-9 : v)) }));
        check(resampleVariant(params, near).copy !== true, "a matrix 1e-9 off a permutation got the copy pipeline");
        let error: unknown;
        try {
          await runGpu(ctx, { ...c, samples: near }, 0, special);
        } catch (e) {
          error = e;
        }
        check(error instanceof ArgumentError && (error as ArgumentError).field === "pipeline", `copy pipeline, other dispatch: expected ArgumentError("pipeline"), got ${String(error)}`);
      }
    }
  });
  check(copies === 2 * KINDS.length - 1, `only ${copies} copy dispatches`);
  return `${values} values from ${copies} copy pipelines equal the generic pipeline's`;
}

/** A pipeline specialized for one dispatch refuses a dispatch it was not made for. */
export async function wrongVariantIsRejected(): Promise<void> {
  await withContext("test resample wrong variant", async (ctx) => {
    const r = rng(77);
    const { c } = randomCase(r, "u8", "linear", {
      vol: [8, 8, 8], chunkShape: [4, 4, 4], outShape: [3, 3, 3], batch: 1, pad: 0, fill: 0, absent: 0,
    });
    const deformed = { ...c, samples: [{ ...c.samples[0]!, displacement: randomDisplacement(r, c.params.outShape, 1) }] };
    const wrong: [string, GPUComputePipeline, Case, RegExp][] = [
      ["nearest pipeline, linear dispatch", await getResamplePipeline(ctx, { interp: "nearest" }), c, /interpolation nearest.*linear/],
      ["u16 pipeline, u8 dispatch", await getResamplePipeline(ctx, { kind: "u16" }), c, /storage kind u16.*u8/],
      ["rigid pipeline, displaced sample", await getResamplePipeline(ctx, { deform: false }), deformed, /displacement field at samples\[0\]/],
    ];
    for (const [what, pipeline, dc, message] of wrong) {
      let error: unknown;
      try {
        await runGpu(ctx, dc, 0, pipeline);
      } catch (e) {
        error = e;
      }
      check(error instanceof ArgumentError && (error as ArgumentError).field === "pipeline", `${what}: expected ArgumentError("pipeline"), got ${String(error)}`);
      check(message.test((error as Error).message), `${what}: message "${(error as Error).message}" does not match ${message}`);
    }
    // A partly specialized pipeline serves every dispatch it agrees with.
    const linear = await getResamplePipeline(ctx, { interp: "linear" });
    sameBits("linear-only pipeline", (await runGpu(ctx, c, 0, linear)).out, (await runGpu(ctx, c)).out);
  });
}

/** Every case, by title, for the case registry (test/setup/cases.ts). */
export const resampleCases = {
  "identity with integer offsets copies source voxels, pads and fills": identityCopiesVoxels,
  "every storage kind, linear and nearest, matches the CPU twin": matchesTwinAllKinds,
  "samples crossing hundreds of chunks match the CPU twin": matchesTwinAcrossChunks,
  "a large batch uses the 2D dispatch and matches the CPU twin": largeOutputUses2dDispatch,
  "inconsistent dispatch inputs raise ArgumentError": badInputsAreRejected,
  "chunks pack into the slot layout and read back": packingFollowsTheLayout,
  "the dispatch grid covers the output": gridCoversTheOutput,
  "pipelines specialized per dispatch give the generic pipeline's bits": specializedMatchesGeneric,
  "permuted dispatches get a copy pipeline with the generic pipeline's bits": copyPipelineMatchesGeneric,
  "a pipeline specialized for another dispatch raises ArgumentError": wrongVariantIsRejected,
} satisfies Cases;
